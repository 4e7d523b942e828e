# ViTok S-B/16 at 512x512: 1024 tokens x 16 channels, E = 16384 (4x the 256p E,
# the paper's pixels-per-float ratio for matching 256p quality).
_base_ = ['./s-b_16_256p.py']

input_shape = (3, 512, 512)
image_size = 512
train_dataloader = dict(
    batch_size=32,  # x 32 processes = global batch 1024
    dataset=dict(pipeline=[
        dict(type='LoadImage'),
        dict(type='RandomResizedCrop', size=image_size, scale=(0.8, 1.0)),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs'),
    ]))
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='ResizeShortSide', size=image_size),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs'),
]
val_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))
test_sets = dict(
    imagenet_val=dict(dataset=dict(pipeline=test_pipeline)),
    coco_val2017=dict(
        dataset=dict(pipeline=test_pipeline),
        evaluator=[dict(type='ReconstructionMetric'), dict(type='LPIPSMetric'),
                   dict(type='FIDMetric',
                        reference_cache='work_dirs/fid_stats/coco_val2017_512p.pth')]),
)
val_evaluator = [
    dict(type='ReconstructionMetric'),
    dict(type='LPIPSMetric'),
    dict(type='FIDMetric', reference_cache='work_dirs/fid_stats/imagenet_val_512p_10k.pth'),
]
test_evaluator = [
    dict(type='ReconstructionMetric'),
    dict(type='LPIPSMetric'),
    dict(type='FIDMetric', reference_cache='work_dirs/fid_stats/imagenet_val_512p.pth'),
]
