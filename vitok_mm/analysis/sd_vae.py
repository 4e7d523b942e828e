"""The Stable Diffusion VAE as a baseline: its architecture with random weights.

diffusers ``AutoencoderKL`` in SD's layout; nothing is downloaded. diffusers is
optional (``pip install -e .[bench]``): :func:`sd_vae_skip_reason` says when the
baseline cannot run.
"""
from typing import Optional, Sequence

import torch
from torch import nn

#: Stable Diffusion's VAE (the ``vae`` of the SD 1.x / 2.x checkpoints) as
#: ``diffusers.AutoencoderKL`` arguments.
SD_VAE_LAYOUT = dict(
    in_channels=3, out_channels=3,
    down_block_types=('DownEncoderBlock2D', ) * 4,
    up_block_types=('UpDecoderBlock2D', ) * 4,
    block_out_channels=(128, 256, 512, 512),
    layers_per_block=2, latent_channels=4, norm_num_groups=32, act_fn='silu')
#: Three stride-2 downsamplings: H and W must be multiples of 8.
SD_VAE_STRIDE = 8


class DiffusersVAE(nn.Module):
    """``diffusers.AutoencoderKL`` behind ViTok's interface: ``encode(x).mode()``, ``decode(z)``.

    Lets :func:`~vitok_mm.analysis.count_complexity` and the timing loop treat both
    models alike. Shapes: ``(N, 3, H, W)`` -> posterior over ``(N, 4, H/8, W/8)`` ->
    ``(N, 3, H, W)``.
    """

    def __init__(self, vae: nn.Module):
        super().__init__()
        self.vae = vae

    def encode(self, x: torch.Tensor):
        return self.vae.encode(x).latent_dist

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(z).sample


def build_sd_vae(image_size: Sequence[int]) -> DiffusersVAE:
    """SD's VAE architecture for ``(H, W)`` inputs, random weights, on the default device.

    Raises:
        ImportError: diffusers is not installed.
    """
    from diffusers import AutoencoderKL
    return DiffusersVAE(AutoencoderKL(**SD_VAE_LAYOUT, sample_size=max(image_size)))


def sd_vae_skip_reason(shape: Sequence[int], no_sd_vae: bool = False) -> Optional[str]:
    """Why the SD-VAE cannot run next to a model on one ``(C, H, W)`` / ``(C, T, H, W)``
    sample, or None when it can. ``no_sd_vae``: the user turned it off (``--no-sd-vae``)."""
    if no_sd_vae:
        return 'skipped (--no-sd-vae)'
    try:
        import diffusers  # noqa: F401
    except ImportError:
        return 'skipped: diffusers is not installed; install it with `pip install -e .[bench]`'
    if len(shape) != 3:
        return (f'skipped: the SD-VAE is an image model and the input is video '
                f'({"x".join(map(str, shape))})')
    if any(size % SD_VAE_STRIDE for size in shape[1:]):
        return f'skipped: its H and W must be multiples of {SD_VAE_STRIDE}, got {shape[1:]}'
    return None


def sd_vae_params_note(sd_vae: DiffusersVAE) -> str:
    """Its parameters as built, by part, next to the count the ViTok paper lists."""
    def millions(module: nn.Module) -> str:
        return f'{sum(p.numel() for p in module.parameters()) / 1e6:.1f} M'
    vae = sd_vae.vae
    return (f'SD-VAE params as built: {millions(vae)} (encoder {millions(vae.encoder)}, '
            f'decoder {millions(vae.decoder)}, quant convs); the ViTok paper lists 59.3 M.')


__all__ = ['DiffusersVAE', 'SD_VAE_LAYOUT', 'SD_VAE_STRIDE', 'build_sd_vae',
           'sd_vae_params_note', 'sd_vae_skip_reason']
