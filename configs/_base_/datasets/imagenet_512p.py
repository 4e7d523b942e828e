# ImageNet-1K at 512x512: imagenet_256p.py's data and views with every crop at 512, 4x
# smaller per-process batches and 512p FID references. MMEngine fills image_size into a
# base file's pipelines when it reads that file, so the 512p views are written here and
# put into each loader.
_base_ = ['./imagenet_256p.py']

image_size = 512
input_shape = (3, image_size, image_size)

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
train_dataloader = dict(
    batch_size=32,  # x 32 processes = global batch 1024
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))
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
test_sets = dict(
    imagenet_val=dict(dataset=dict(pipeline=test_pipeline)),
    coco_val2017=dict(
        dataset=dict(pipeline=test_pipeline),
        evaluator=[dict(type='ReconstructionMetric'), dict(type='LPIPSMetric'),
                   dict(type='FIDMetric',
                        reference_cache='work_dirs/fid_stats/coco_val2017_512p.pth')]),
)
