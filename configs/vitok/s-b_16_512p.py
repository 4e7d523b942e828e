# ViTok S-B/16 at 512x512: 1024 tokens x 16 channels, E = 16384 (4x the 256p E,
# the paper's pixels-per-float ratio for matching 256p quality).
_base_ = [
    '../_base_/models/vitok_s-b.py',
    '../_base_/datasets/imagenet_512p.py',
    '../_base_/schedules/vitok_100k.py',
    '../_base_/default_runtime.py',
]

model = dict(patch_size=16, tubelet_size=None)
