# ImageNet-1K latents cached by tools/extract_latents.py (posterior means, with flips):
#   python tools/extract_latents.py configs/vitok/s-b_16_256p.py TOKENIZER.pth \
#       --data-config configs/vitok/s-b_16_256p.py --out data/latents/imagenet_s-b_16_256p --flip
# The config sets `latent_cache` in the datasets and in the model's data_preprocessor.
train_dataloader = dict(
    batch_size=32,  # x 8 processes = DiT's global batch 256
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    dataset=dict(type='LatentDataset', in_memory=True),
)
# Validation: latent Frechet distance and linear-probe accuracy of one sample per cached
# latent of the first 2,048 (their classes), against those latents.
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='LatentDataset', in_memory=False, indices=2048),
)
val_evaluator = [
    dict(type='LatentFrechetMetric', num_components=64),
    dict(type='LatentProbeMetric'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
