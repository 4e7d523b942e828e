# The quick starts' tiny ViTok, small enough to train on a CPU in minutes: an encoder
# 128 wide (2 blocks, 2 heads) and a wider decoder (192, 4 blocks, 3 heads), the paper's
# asymmetry; a Gaussian (VAE) bottleneck. Loss L1 + KL: no LPIPS, whose VGG16 weights
# cannot be downloaded where the quick starts run. Each config sets the patch (and
# tubelet) size and the latent channels.
model = dict(
    type='ViTok',
    data_preprocessor=dict(type='PixelPreprocessor'),
    encoder=dict(type='ViTEncoder', width=128, depth=2, num_heads=2),
    bottleneck=dict(type='GaussianBottleneck'),
    decoder=dict(type='ViTDecoder', width=192, depth=4, num_heads=3),
    losses=[dict(type='L1Loss', loss_weight=1.0), dict(type='KLLoss', loss_weight=1e-6)],
)
