# The paper's video schedule: the image schedule (vitok_100k.py: AdamW (0.9, 0.95),
# weight decay 1e-4, 5k warmup then cosine, 100k steps, bf16, clipping at 1.0) with
# lr 3e-4 for a global batch of 256 (auto_scale_lr follows the actual global batch).
_base_ = ['./vitok_100k.py']

optim_wrapper = dict(optimizer=dict(lr=3e-4))
