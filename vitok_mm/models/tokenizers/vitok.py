"""ViTok: an asymmetric Vision-Transformer auto-encoder (arXiv 2501.09755)."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from vitok_mm.registry import MODELS
from vitok_mm.utils.loss_terms import publish_loss_terms

from ..layers import token_grid

ModuleOrConfig = Union[nn.Module, dict]


@dataclass(frozen=True)
class LatentInfo:
    """Size of the latent code of one input: ``E = tokens * channels`` floats."""
    grid: Tuple[int, ...]
    tokens: int
    channels: int

    @property
    def E(self) -> int:  # noqa: N802 - the paper's name
        return self.tokens * self.channels


def _fill(cfg: ModuleOrConfig, **values) -> ModuleOrConfig:
    """Copy a sub-module config with ``values`` filled in where the config leaves them out."""
    if isinstance(cfg, nn.Module):
        return cfg
    cfg = dict(cfg)
    for key, value in values.items():
        cfg.setdefault(key, value)
    return cfg


@MODELS.register_module()
class ViTok(BaseModel):
    """Encoder -> bottleneck -> decoder, each a registered, swappable component.

    Args:
        encoder: config (or module) of the encoder, e.g. ``ViTEncoder``.
        bottleneck: config (or module), e.g. ``GaussianBottleneck`` or
            ``DeterministicBottleneck``; ``in_channels`` defaults to the encoder width.
        decoder: config (or module), e.g. ``ViTDecoder``; ``latent_channels``
            defaults to the bottleneck's.
        patch_size: spatial patch p, shared by encoder and decoder.
        tubelet_size: temporal tubelet q for video, ``None`` for images.
        sample_posterior: in training mode decode a sample of the posterior
            (``False``: its mean). Evaluation always decodes the mean.
        losses: configs of the training loss terms, e.g. ``L1Loss``, ``LPIPSLoss``,
            ``KLLoss``; each is logged under its ``loss_name``.
        data_preprocessor: MMEngine data preprocessor config (default
            ``PixelPreprocessor``: uint8 -> [-1, 1]).

    Inputs are pixels in [-1, 1]: images ``(N, 3, H, W)`` or videos
    ``(N, 3, T, H, W)``; latents are maps ``(N, c, h, w)`` / ``(N, c, t, h, w)``.
    """

    def __init__(self, encoder: ModuleOrConfig, bottleneck: ModuleOrConfig,
                 decoder: ModuleOrConfig, patch_size: int = 16,
                 tubelet_size: Optional[int] = None, sample_posterior: bool = True,
                 losses: Sequence[ModuleOrConfig] = (),
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='PixelPreprocessor')
        if isinstance(data_preprocessor, dict):
            # Our registry: MMEngine's BaseModel would look in its own, without our scope.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.sample_posterior = sample_posterior
        self.encoder = MODELS.build(
            _fill(encoder, patch_size=patch_size, tubelet_size=tubelet_size))
        self.bottleneck = MODELS.build(_fill(bottleneck, in_channels=self.encoder.width))
        self.decoder = MODELS.build(_fill(
            decoder, patch_size=patch_size, tubelet_size=tubelet_size,
            latent_channels=self.bottleneck.latent_channels))
        for name, tower in (('encoder', self.encoder), ('decoder', self.decoder)):
            sizes = (getattr(tower, 'patch_size', patch_size),
                     getattr(tower, 'tubelet_size', tubelet_size))
            if sizes != (patch_size, tubelet_size):
                raise ValueError(
                    f'ViTok has patch_size={patch_size}, tubelet_size={tubelet_size} but its '
                    f'{name} has patch_size={sizes[0]}, tubelet_size={sizes[1]}; set them once '
                    'on ViTok and leave them out of the encoder and decoder configs.')
        if self.decoder.latent_channels != self.bottleneck.latent_channels:
            raise ValueError(
                f'the bottleneck makes {self.bottleneck.latent_channels} latent channels but '
                f'the decoder expects {self.decoder.latent_channels}.')
        self._init_linear_weights()
        # Built after the weight init: loss modules own no trainable parameters.
        self.losses = nn.ModuleList([MODELS.build(c) if isinstance(c, dict) else c
                                     for c in losses])
        names = [loss.loss_name for loss in self.losses]
        if len(set(names)) != len(names):
            raise ValueError(f'loss terms must have distinct loss_name values, got {names}.')

    @property
    def latent_channels(self) -> int:
        return self.bottleneck.latent_channels

    def _init_linear_weights(self) -> None:
        """Truncated-normal linear weights (std 0.02) and zero biases, at construction.

        An ``init_cfg`` or a loaded checkpoint overrides these later, as usual in MMEngine.
        """
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def latent_info(self, input_shape: Sequence[int]) -> LatentInfo:
        """Grid, token count, channels and E of the latent of one input.

        ``input_shape`` is ``(C, H, W)`` / ``(C, T, H, W)``, with or without the batch axis.
        """
        shape = tuple(input_shape)
        if len(shape) == (3 if self.tubelet_size is None else 4):
            shape = (1, ) + shape
        grid = token_grid(shape, self.patch_size, self.tubelet_size)
        tokens = 1
        for g in grid:
            tokens *= g
        return LatentInfo(grid=grid, tokens=tokens, channels=self.latent_channels)

    def encode(self, x: torch.Tensor):
        """Pixels -> posterior over the latent map (``.sample()``, ``.mode()``, ``.kl()``)."""
        tokens, grid = self.encoder(x)
        return self.bottleneck(tokens, grid)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent map ``(N, c, [t,] h, w)`` -> pixels ``(N, 3, [T,] H, W)``."""
        return self.decoder(z)

    def encode_packed(self, inputs: Sequence[torch.Tensor]) -> list:
        """Inputs of different sizes ``(3, [T,] H, W)`` (each a multiple of the patch)
        encoded as one packed batch (NaFlex): one posterior over ``(1, c, [t,] h, w)`` per
        input, equal to :meth:`encode` of the input alone."""
        packed = self.encoder.forward_packed(inputs)
        return [self.bottleneck(tokens, grid)
                for tokens, grid in zip(packed.unpack(), packed.grids)]

    def decode_packed(self, latents: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Latents of different sizes ``(c, [t,] h, w)`` decoded as one packed batch:
        pixels ``(3, [T,] H, W)`` per latent."""
        return self.decoder.forward_packed(latents)

    def reconstruct(self, x: torch.Tensor, sample: bool = False) -> torch.Tensor:
        """Decode the posterior mean (or a sample) of ``x``; same shape as ``x``."""
        posterior = self.encode(x)
        return self.decode(posterior.sample() if sample else posterior.mode())

    def loss(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Each configured loss term of reconstructing ``inputs``.

        The terms are computed in float32 outside autocast: LPIPS and the KL lose
        precision in bf16.
        """
        if not len(self.losses):
            raise ValueError('ViTok has no `losses` configured; add e.g. '
                             "losses=[dict(type='L1Loss'), dict(type='KLLoss')] to the model.")
        posterior = self.encode(inputs)
        recon = self.decode(posterior.sample() if self.sample_posterior else posterior.mode())
        return self.reconstruction_losses(recon, inputs, posterior)

    def reconstruction_losses(self, recon: torch.Tensor, inputs: torch.Tensor,
                              posterior) -> Dict[str, torch.Tensor]:
        """``{loss_name: value}`` of each configured term, in float32 outside autocast."""
        with torch.autocast(device_type=inputs.device.type, enabled=False):
            recon, target = recon.float(), inputs.float()
            return {loss.loss_name: loss(recon, target, posterior) for loss in self.losses}

    def predict(self, inputs: torch.Tensor, data_samples=None) -> List[dict]:
        """Reconstructions for evaluators: one dict per sample with ``pred`` and ``gt``
        pixels in [-1, 1] (float32) and the sample's metadata."""
        recon = self.reconstruct(inputs).float()
        outputs = []
        for i in range(inputs.shape[0]):
            sample = data_samples[i] if data_samples is not None else None
            meta = dict(getattr(sample, 'metainfo', sample) or {})
            meta.update(pred=recon[i], gt=inputs[i].float())
            outputs.append(meta)
        return outputs

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        """MMEngine's sum of the terms; also publishes the terms (MessageHub) so that
        the optimiser wrapper can name the ones that went non-finite."""
        publish_loss_terms(losses)
        return super().parse_losses(losses)

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        """MMEngine entry point.

        - ``'tensor'``: the reconstruction, shaped like ``inputs`` (a posterior sample in
          training mode when ``sample_posterior``, the mean otherwise).
        - ``'loss'``: a dict of the weighted loss terms.
        - ``'predict'``: a list of per-sample dicts with ``pred`` and ``gt`` (see :meth:`predict`).
        """
        if mode == 'tensor':
            return self.reconstruct(inputs, sample=self.training and self.sample_posterior)
        if mode == 'loss':
            return self.loss(inputs)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f"Unknown mode {mode!r}; choose 'tensor', 'loss' or 'predict'.")
