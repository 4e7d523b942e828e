# ViTok S-B/4x8 trained on Kinetics-700 clips (16 frames, 128x128), as the paper's
# video tokenizers are; otherwise as s-b_4x8_128p_16f.py.
_base_ = [
    '../_base_/models/vitok_s-b.py',
    '../_base_/datasets/kinetics700_128p_16f.py',
    '../_base_/schedules/vitok_video_100k.py',
    '../_base_/default_runtime.py',
]

model = dict(patch_size=8, tubelet_size=4)  # 4x8x8 tubelets
