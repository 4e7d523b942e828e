# ViTok S-B/16 at 256x256 on ImageNet-1K: 256 tokens x 16 channels, E = 4096.
#   python tools/train.py configs/vitok/s-b_16_256p.py            # one GPU (or CPU)
#   bash tools/dist_train.sh configs/vitok/s-b_16_256p.py 8       # 8 GPUs: global batch 1024
_base_ = [
    '../_base_/models/vitok_s-b_16.py',
    '../_base_/datasets/imagenet_256p.py',
    '../_base_/schedules/vitok_100k.py',
    '../_base_/default_runtime.py',
]

# One sample as the model sees it: (C, H, W). get_flops and benchmark read it.
input_shape = (3, 256, 256)
