# ImageNet-1K at 256x256. Expected layout (README, "Preparing data"):
#   data/imagenet/train/<wnid>/*.JPEG   data/imagenet/val/<wnid>/*.JPEG
# Training view: random resized crop (area 0.8-1.0) + horizontal flip, as in the paper.
# Evaluation view: resize the short side to 256, center crop 256.
image_size = 256
data_root = 'data/imagenet'

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResizedCrop', size=image_size, scale=(0.8, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='ResizeShortSide', size=image_size),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs'),
]

# Per-process batch. The recipe's global batch is 1024 = 128 per process x 8 processes;
# on fewer GPUs raise optim_wrapper.accumulative_counts (e.g. 8 on one GPU).
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    dataset=dict(type='ImageNet', data_root=data_root, split='train', bad_sample='skip',
                 pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageNet', data_root=data_root, split='val', pipeline=test_pipeline,
                 test_mode=True),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='ReconstructionMetric')
test_evaluator = val_evaluator
