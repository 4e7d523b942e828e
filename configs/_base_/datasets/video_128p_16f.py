# Clip sampling, views and loader settings shared by the video datasets (16 frames at
# 128x128); each dataset file adds its dataset to the loaders.
# Training view: a random 16-frame window at stride 2 (~12 fps from 25 fps video),
# random resized crop (area 0.8-1.0) and horizontal flip, the same for every frame.
# Evaluation view: the centred window, short side resized to 128, center crop 128.
# A clip shorter than the window loops (short_clip='loop').
num_frames = 16
frame_stride = 2
image_size = 128
input_shape = (3, num_frames, image_size, image_size)  # one sample: (C, T, H, W)

train_pipeline = [
    dict(type='LoadVideo', num_frames=num_frames, frame_stride=frame_stride,
         random_start=True, short_clip='loop'),
    dict(type='RandomResizedCrop', size=image_size, scale=(0.8, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadVideo', num_frames=num_frames, frame_stride=frame_stride,
         random_start=False, short_clip='loop'),
    dict(type='ResizeShortSide', size=image_size),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs'),
]

# Global batch 256 = 32 per process x 8 processes (raise accumulative_counts on fewer).
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = dict(
    batch_size=16,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=False),
)
