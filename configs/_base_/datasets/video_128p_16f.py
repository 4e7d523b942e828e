# Clip sampling and views shared by the video datasets (16 frames at 128x128).
# Training view: a random 16-frame window at stride 2 (~12 fps from 25 fps video),
# random resized crop (area 0.8-1.0) and horizontal flip, the same for every frame.
# Evaluation view: the centred window, short side resized to 128, center crop 128.
# A clip shorter than the window loops (short_clip='loop').
num_frames = 16
frame_stride = 2
image_size = 128

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
