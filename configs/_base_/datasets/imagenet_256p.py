# ImageNet-1K at 256x256. Expected layout (README, "Preparing data"):
#   data/imagenet/train/<wnid>/*.JPEG   data/imagenet/val/<wnid>/*.JPEG
# Training view: random resized crop (area 0.8-1.0) + horizontal flip, as in the paper.
# Evaluation view: resize the short side to 256, center crop 256.
image_size = 256
# One sample as the model sees it, (C, H, W): get_flops, benchmark and reconstruct read it.
input_shape = (3, image_size, image_size)
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
# Validation during training: the first 10k val images (50k take long); tools/test.py
# evaluates all 50k and COCO val2017 (test_sets below).
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageNet', data_root=data_root, split='val', pipeline=test_pipeline,
                 indices=10_000, test_mode=True),
)
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageNet', data_root=data_root, split='val', pipeline=test_pipeline,
                 test_mode=True),
)
# PSNR/SSIM always; LPIPS needs vgg16-397923af.pth and rFID/rIS the FID InceptionV3
# (weights-inception-2015-12-05-6726825d.pth) in the torch hub cache; metrics whose
# weights are missing are skipped with a warning.
val_evaluator = [
    dict(type='ReconstructionMetric'),
    dict(type='LPIPSMetric'),
    dict(type='FIDMetric', reference_cache='work_dirs/fid_stats/imagenet_val_256p_10k.pth'),
]
test_evaluator = [
    dict(type='ReconstructionMetric'),
    dict(type='LPIPSMetric'),
    dict(type='FIDMetric', reference_cache='work_dirs/fid_stats/imagenet_val_256p.pth'),
]
# tools/test.py evaluates every set here and prints one table (the paper's Table 3).
test_sets = dict(
    imagenet_val=dict(dataset=dict(type='ImageNet', data_root=data_root, split='val',
                                   pipeline=test_pipeline, test_mode=True)),
    coco_val2017=dict(dataset=dict(type='COCOImages', data_root='data/coco', split='val2017',
                                   pipeline=test_pipeline, test_mode=True),
                      evaluator=[dict(type='ReconstructionMetric'), dict(type='LPIPSMetric'),
                                 dict(type='FIDMetric',
                                      reference_cache='work_dirs/fid_stats/coco_val2017_256p.pth')]),
)
