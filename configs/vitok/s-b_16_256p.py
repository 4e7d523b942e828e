# ViTok S-B/16 at 256x256 on ImageNet-1K: 256 tokens x 16 channels, E = 4096.
#   python tools/train.py configs/vitok/s-b_16_256p.py            # one GPU (or CPU)
#   bash tools/dist_train.sh configs/vitok/s-b_16_256p.py 8       # 8 GPUs: global batch 1024
_base_ = [
    '../_base_/models/vitok_s-b.py',
    '../_base_/datasets/imagenet_256p.py',
    '../_base_/schedules/vitok_100k.py',
    '../_base_/default_runtime.py',
]

model = dict(patch_size=16, tubelet_size=None)  # 16x16 patches of images
