# The video quick start's image baseline: an image tokenizer with the same towers and the
# same latent floats per frame (64 tokens x 16 channels = 1024), trained on single frames
# of the same training clips with the same tokens per step (32 frames x 64 tokens), and
# scored on the same held-out clips frame by frame. Compare with vitok_tiny_video.py:
#   python tools/quickstart_video.py --config configs/quickstart/vitok_tiny_video_frames.py \
#       --work-dir work_dirs/quickstart_video_frames
_base_ = ['./vitok_tiny_video.py']

input_shape = (3, 64, 64)
model = dict(tubelet_size=None, bottleneck=dict(latent_channels=16))

train_pipeline = [
    dict(type='LoadVideo', num_frames=1, random_start=True, keep_time_axis=False),
    dict(type='RandomResizedCrop', size=64, scale=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
val_pipeline = [
    dict(type='LoadVideo', num_frames=1, random_start=False, keep_time_axis=False),
    dict(type='ResizeShortSide', size=64),
    dict(type='CenterCrop', crop_size=64),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
# test_dataloader stays the 16-frame held-out clips of vitok_tiny_video.py.
