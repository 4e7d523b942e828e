import pytest
import torch

from vitok_mm.utils import register_all_modules

register_all_modules()


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


#: A tower small enough for CPU tests, large enough for 3D RoPE (head_dim 24).
TINY_TOWER = dict(width=48, depth=1, num_heads=2)


def tiny_vitok_config(patch_size=8, tubelet_size=None, latent_channels=4, **tower):
    """A ViTok config with tiny towers; ``tower`` options go to both towers."""
    options = dict(TINY_TOWER, **tower)
    return dict(
        type='ViTok', patch_size=patch_size, tubelet_size=tubelet_size,
        encoder=dict(type='ViTEncoder', **options),
        bottleneck=dict(type='GaussianBottleneck', latent_channels=latent_channels),
        decoder=dict(type='ViTDecoder', **options))
