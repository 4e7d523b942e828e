# The quick start's stage 1 with the paper's plain linear pixel head (each token to its own
# 8x8 patch), trained on the bundled photos only: the quick start's recipe until issue 23,
# and the baseline of the sweeps that measured it (configs/sweeps/quickstart_grid*.py,
# quickstart_speckle.py, e_sweep_quickstart.py). Same towers, schedule and time; on the 4
# held-out photos 25.98 dB, a 2.6-level mean colour shift and a patch grid (gradients
# across patch borders 1.34x the originals'). See configs/quickstart/README.md.
_base_ = ['./vitok_tiny_64p.py']

model = dict(decoder=dict(pixel_head=dict(_delete_=True, type='PixelHead')))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ImageDataset',
        data_root={{_base_.data_root}},
        data_prefix='train',
        name='quickstart samples',
        cache_images=True,
        pipeline={{_base_.train_pipeline}}))
