# A small ViTok trained on the CPU in minutes on real photos that ship inside installed
# packages (tools/quickstart.sh builds data/samples/{train,val} from them).
# 8x8 patches on 64x64 crops -> 64 tokens x 32 channels (E = 2048, 6x fewer floats
# than pixel values), a small encoder and a wider decoder (the paper's asymmetry).
# No LPIPS: its VGG16 weights cannot be downloaded here, so the loss is L1 + KL.
_base_ = ['../_base_/default_runtime.py']

input_shape = (3, 64, 64)
image_size = 64
data_root = 'data/samples'

model = dict(
    type='ViTok',
    patch_size=8,
    data_preprocessor=dict(type='PixelPreprocessor'),
    encoder=dict(type='ViTEncoder', width=128, depth=2, num_heads=2),
    bottleneck=dict(type='GaussianBottleneck', latent_channels=32),
    decoder=dict(type='ViTDecoder', width=192, depth=4, num_heads=3),
    losses=[dict(type='L1Loss', loss_weight=1.0), dict(type='KLLoss', loss_weight=1e-6)],
)

# With only ~16 training photos, crops over a wide range of scales (down to 5% of the
# photo) stand in for a large dataset; the paper's ImageNet crop is 0.8-1.0.
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResizedCrop', size=image_size, scale=(0.05, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
# The documented evaluation view: short side resized to 64, center 64x64 crop.
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='ResizeShortSide', size=image_size),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs'),
]
# Decoded photos stay in memory (cache_images), so crops cost ~1 ms and loading runs in
# the main process: on 2 cores a worker process would compete with the model's threads.
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    dataset=dict(type='ImageDataset', data_root=data_root, data_prefix='train',
                 name='quickstart samples', cache_images=True, pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageDataset', data_root=data_root, data_prefix='val',
                 name='quickstart samples', pipeline=test_pipeline, test_mode=True),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='ReconstructionMetric')
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='GuardedOptimWrapper',
    dtype='bfloat16',  # about 2x faster than float32 on this kind of CPU
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0),
)
max_iters = 2200  # about 6 minutes on 2 CPU cores with bf16 autocast
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=200),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=200, end=max_iters,
         T_max=max_iters - 200, eta_min_ratio=0.02),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters, val_interval=1100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=500),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=550, max_keep_ckpts=2),
)
# Deterministic: resuming this config reproduces an uninterrupted run's weights.
randomness = dict(seed=0, deterministic=True)
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='ReconstructionVisualizationHook', interval=1100, num_images=4),
    dict(type='ProgressBarHook'),
]
