"""Other libraries' VAEs behind the tokenizer interface, as baselines.

:class:`DiffusersAutoencoder` wraps a diffusers autoencoder (``AutoencoderKL``: the SD,
SDXL and FLUX VAEs; ``AutoencoderKLQwenImage``: Qwen-Image's) so that
:class:`~vitok_mm.apis.Tokenizer`, the metrics and ``vitok-mm evaluate`` treat it as one
of ours: pixels in [-1, 1], ``encode(x)`` a posterior over *normalised* latents (the
library's own scaling and shifting applied: ``(z - shift) * scale``, or per-channel
``(z - mean) / std`` where the VAE's config lists them), ``decode(z)`` the inverse.
``patch_size`` is the spatial compression (8), so tokens and E are counted as for ViTok.

diffusers is optional: ``pip install 'vitok_mm[diffusers]'``.
"""
import os.path as osp
from typing import Optional

import torch
from mmengine.model import BaseModel

from vitok_mm.registry import MODELS

from ..bottlenecks.gaussian import DiagonalGaussian

#: The file names of a diffusers model folder.
DIFFUSERS_CONFIG, DIFFUSERS_WEIGHTS = 'config.json', 'diffusion_pytorch_model.safetensors'


def import_diffusers():
    """The diffusers module, or an ``ImportError`` that names the extra to install."""
    try:
        import diffusers
    except ImportError:
        raise ImportError('this tokenizer wraps a diffusers VAE, and diffusers is not '
                          "installed: pip install 'vitok_mm[diffusers]' (or pip install "
                          'diffusers).') from None
    return diffusers


@MODELS.register_module()
class DiffusersAutoencoder(BaseModel):
    """A diffusers VAE as a vitok_mm tokenizer (inference only).

    Args:
        vae_class: the diffusers class, ``'AutoencoderKL'`` (default) or
            ``'AutoencoderKLQwenImage'`` (a video VAE; images go in as one frame).
        pretrained: a local diffusers folder (``config.json`` and
            ``diffusion_pytorch_model.safetensors``) to load with the class's own
            ``from_pretrained``; the model index downloads it from the Hub.
        vae_config: or the class's constructor arguments: random weights, seeded (the
            same at every build; for speed and memory only), or the architecture that a
            saved folder's weights fill.

    Shapes: ``(N, 3, H, W)`` in [-1, 1], H and W multiples of 8 (the Tokenizer pads) ->
    posterior over ``(N, c, H/8, W/8)`` -> ``(N, 3, H, W)``.
    """

    def __init__(self, vae_class: str = 'AutoencoderKL', pretrained: Optional[str] = None,
                 vae_config: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if (pretrained is None) == (vae_config is None):
            raise ValueError('DiffusersAutoencoder needs its weights: load it by its name '
                             "(Tokenizer.from_pretrained('sd-vae-ft-mse'), vitok-mm list) or "
                             'give a diffusers VAE folder as the checkpoint; vae_config= '
                             'builds random weights (exactly one of pretrained= and '
                             'vae_config=).')
        diffusers = import_diffusers()
        cls = getattr(diffusers, vae_class, None)
        if cls is None:
            raise ValueError(f'diffusers {diffusers.__version__} has no {vae_class}; update '
                             'diffusers, or use AutoencoderKL.')
        if pretrained is not None:
            missing = [f for f in (DIFFUSERS_CONFIG, DIFFUSERS_WEIGHTS)
                       if not osp.isfile(osp.join(pretrained, f))]
            if missing:
                raise FileNotFoundError(f'{pretrained} is not a diffusers VAE folder: it has '
                                        f'no {", ".join(missing)}.')
            self.vae = cls.from_pretrained(pretrained, torch_dtype=torch.float32)
        else:
            with torch.random.fork_rng(devices=[]):  # the same random weights every build
                torch.manual_seed(0)
                self.vae = cls(**vae_config)
        self.vae_class, self.pretrained = vae_class, pretrained
        config = self.vae.config
        self.temporal = vae_class != 'AutoencoderKL'
        blocks = config.get('block_out_channels') or config.get('dim_mult')
        self.patch_size = 2 ** (len(blocks) - 1)
        self.latent_channels = int(config.get('latent_channels') or config.get('z_dim'))
        mean, std = config.get('latents_mean'), config.get('latents_std')
        if mean is not None and std is not None:
            shift, scale = torch.tensor(mean), 1 / torch.tensor(std)
        else:
            shift = torch.full((self.latent_channels, ), float(config.get('shift_factor')
                                                               or 0.0))
            scale = torch.full((self.latent_channels, ), float(config.get('scaling_factor')
                                                               or 1.0))
        # Not saved with the weights: the VAE's config defines them.
        self.register_buffer('latent_shift', shift.float().view(1, -1, 1, 1), persistent=False)
        self.register_buffer('latent_scale', scale.float().view(1, -1, 1, 1), persistent=False)

    @property
    def scaling(self) -> str:
        """The normalisation applied to the latents, in words."""
        if self.latent_scale.unique().numel() > 1:
            return 'per-channel (z - mean) / std'
        return (f'(z - {float(self.latent_shift.flatten()[0]):g}) * '
                f'{float(self.latent_scale.flatten()[0]):g}')

    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """The posterior over normalised latents of pixels ``(N, 3, H, W)`` in [-1, 1]."""
        x = x.to(next(self.vae.parameters()).dtype)
        dist = self.vae.encode(x[:, :, None] if self.temporal else x).latent_dist
        mean, logvar = dist.mean, dist.logvar
        if self.temporal:
            mean, logvar = mean[:, :, 0], logvar[:, :, 0]
        shift, scale = self.latent_shift.to(mean), self.latent_scale.to(mean)
        return DiagonalGaussian((mean - shift) * scale, logvar + 2 * torch.log(scale))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixels ``(N, 3, H, W)`` of normalised latents ``(N, c, h, w)``."""
        z = z.to(self.latent_scale) / self.latent_scale + self.latent_shift
        z = z.to(next(self.vae.parameters()).dtype)
        pixels = self.vae.decode(z[:, :, None] if self.temporal else z).sample
        return pixels[:, :, 0] if self.temporal else pixels

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if mode != 'tensor':
            raise ValueError(f'{type(self).__name__} is for inference (a baseline): mode '
                             f'{mode!r} is not supported; use mode="tensor".')
        return self.decode(self.encode(inputs).mode())


__all__ = ['DIFFUSERS_CONFIG', 'DIFFUSERS_WEIGHTS', 'DiffusersAutoencoder', 'import_diffusers']
