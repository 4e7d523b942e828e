# The image quick start's data: real photos that ship inside installed packages
# (tools/quickstart.sh builds data/samples/{train,val} from them), at 64x64.
image_size = 64
input_shape = (3, image_size, image_size)
data_root = 'data/samples'

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
