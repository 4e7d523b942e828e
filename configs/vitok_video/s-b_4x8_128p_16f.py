# ViTok S-B/4x8: video tokenizer with 4x8x8 tubelets and 3D RoPE (time, rows, cols),
# for 16-frame 128x128 clips: 1024 tokens x 16 channels. Trained on UCF-101 (the
# paper's Table 5); s-b_4x8_128p_16f_k700.py trains on Kinetics-700.
#   python tools/train.py configs/vitok_video/s-b_4x8_128p_16f.py
#   bash tools/dist_train.sh configs/vitok_video/s-b_4x8_128p_16f.py 8   # global batch 256
_base_ = [
    '../_base_/models/vitok_s-b.py',
    '../_base_/datasets/ucf101_128p_16f.py',
    '../_base_/schedules/vitok_video_100k.py',
    '../_base_/default_runtime.py',
]

# L1 + LPIPS (per frame) + KL, weights 1, 1, 1e-6 (the image recipe's).
model = dict(patch_size=8, tubelet_size=4)  # 4x8x8 tubelets
