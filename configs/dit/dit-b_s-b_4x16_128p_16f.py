# DiT-B on ViTok S-B/4x16 latents of 16-frame 128x128 UCF-101 clips: (16, 4, 8, 8), 256
# tokens, 101 classes, sin-cos positions on the 3-axis grid (width 768 % 6 == 0).
#   python tools/extract_latents.py configs/vitok_video/s-b_4x16_128p_16f.py TOKENIZER.pth \
#       --data-config configs/vitok_video/s-b_4x16_128p_16f.py --out data/latents/ucf101_s-b_4x16
_base_ = ['./dit-xl_s-b_16_256p.py']

latent_cache = 'data/latents/ucf101_s-b_4x16'
model = dict(generator=dict(size='B'), latent_shape=(16, 4, 8, 8), num_classes=101,
             data_preprocessor=dict(cache=latent_cache))
train_dataloader = dict(dataset=dict(cache=latent_cache))
val_dataloader = dict(dataset=dict(cache=latent_cache))
tokenizer = dict(config='configs/vitok_video/s-b_4x16_128p_16f.py',
                 checkpoint='work_dirs/s-b_4x16_128p_16f/iter_100000.pth')
