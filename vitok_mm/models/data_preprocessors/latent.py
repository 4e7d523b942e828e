"""Batching tokenizer latents onto the model's device, normalised: the one place where a
generator's latents are scaled in and out."""
import os.path as osp
from typing import Optional, Union

import torch
from mmengine.model import BaseDataPreprocessor

from vitok_mm.registry import MODELS
from vitok_mm.utils.latent_cache import STATS_FILE, read_stats

#: SHA-256 digests are 32 bytes; all zeros means "no statistics yet".
FINGERPRINT_BYTES = 32


def fingerprint_tensor(fingerprint: str) -> torch.Tensor:
    """A hex SHA-256 digest as the uint8 buffer a checkpoint carries."""
    return torch.tensor(list(bytes.fromhex(fingerprint)), dtype=torch.uint8)


@MODELS.register_module()
class LatentPreprocessor(BaseDataPreprocessor):
    """``(z - mean) / std`` in (:meth:`forward`, :meth:`normalize`), the inverse before a
    tokenizer decodes (:meth:`denormalize`).

    The statistics are persistent buffers, so every generator checkpoint carries them
    together with the fingerprint of the tokenizer they belong to (the SHA-256 of its
    checkpoint): sampling needs no cache, and a cache or a checkpoint from another
    tokenizer is refused, naming both.

    Args:
        cache: a latent cache folder (``tools/extract_latents.py``): per-channel mean and
            std and the fingerprint come from its ``stats.pth``. A folder that does not
            exist here is fine when a checkpoint will provide them (sampling elsewhere).
        num_channels: latent channels ``c``; needed when the cache is not at hand.
        scale: instead of statistics, one scalar: ``z * scale`` in, ``z / scale`` out
            (Stable Diffusion's 0.18215 convention).

    Shapes: ``inputs`` a list of ``(c, [t,] h, w)`` tensors or ``(N, c, [t,] h, w)`` ->
    ``dict(inputs=(N, c, [t,] h, w) float32, data_samples=...)``.
    """

    def __init__(self, cache: Optional[str] = None, num_channels: Optional[int] = None,
                 scale: Optional[float] = None, non_blocking: bool = True):
        super().__init__(non_blocking=non_blocking)
        if scale is not None and (cache is not None or not scale > 0):
            raise ValueError(f'scale={scale!r}: give a positive scalar scale, or a cache with '
                             'per-channel statistics, not both.')
        self.cache = cache
        stats = None
        if cache is not None and osp.isfile(osp.join(cache, STATS_FILE)):
            stats = read_stats(cache)
            channels = int(stats['mean'].numel())
            if num_channels is not None and num_channels != channels:
                raise ValueError(f'num_channels={num_channels} but the cache {cache} holds '
                                 f'{channels}-channel latents.')
            num_channels = channels
        if scale is not None:
            num_channels = num_channels or 1
        if num_channels is None:
            raise ValueError(
                f'LatentPreprocessor needs the latent statistics: cache={cache!r} has no '
                f'{STATS_FILE}. Give the cache folder (tools/extract_latents.py makes it), or '
                'num_channels=c when a generator checkpoint will provide them.')
        self.register_buffer('mean', torch.zeros(num_channels))
        self.register_buffer('std', torch.ones(num_channels))
        self.register_buffer('fingerprint', torch.zeros(FINGERPRINT_BYTES, dtype=torch.uint8))
        self.scalar = scale is not None
        if scale is not None:
            self.std.fill_(1.0 / scale)
        elif stats is not None:
            self.mean.copy_(stats['mean'].float())
            self.std.copy_(stats['std'].float())
            self.fingerprint.copy_(fingerprint_tensor(stats['fingerprint']))
        # What the cache says, to check checkpoints loaded later against it.
        self._cache_fingerprint = None if stats is None else stats['fingerprint']

    @property
    def fingerprint_hex(self) -> Optional[str]:
        """The tokenizer's fingerprint, or None when no statistics are set."""
        if not self.fingerprint.any():
            return None
        return bytes(self.fingerprint.tolist()).hex()

    def check_fingerprint(self, fingerprint: str, source: str) -> None:
        """Raise when ``fingerprint`` (of ``source``) is not this model's tokenizer's."""
        own = self.fingerprint_hex
        if own is not None and fingerprint != own:
            where = f'the cache {self.cache}' if own == self._cache_fingerprint else \
                'the loaded generator checkpoint'
            raise ValueError(
                f'{source} belongs to tokenizer {fingerprint[:12]}..., but the latent '
                f'statistics of {where} belong to tokenizer {own[:12]}...: a generator only '
                'works with the tokenizer it was trained for. Use a cache and a checkpoint '
                'made with the same tokenizer checkpoint.')

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        loaded = state_dict.get(prefix + 'fingerprint')
        if (loaded is not None and self._cache_fingerprint is not None and loaded.any()
                and bytes(loaded.tolist()).hex() != self._cache_fingerprint):
            stats = osp.join(self.cache, STATS_FILE)
            raise ValueError(
                f'the checkpoint holds latent statistics of tokenizer '
                f'{bytes(loaded.tolist()).hex()[:12]}..., but {stats} was made with tokenizer '
                f'{self._cache_fingerprint[:12]}.... Use the cache of the tokenizer this '
                'generator was trained on.')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _check_set(self) -> None:
        if not self.scalar and self.fingerprint_hex is None:
            raise ValueError(
                'LatentPreprocessor has no latent statistics yet: load a generator '
                f'checkpoint, or give cache= a folder with {STATS_FILE}.')

    def _view(self, values: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1, ) * (z.ndim - 2)
        return values.to(device=z.device, dtype=z.dtype).view(shape)

    def normalize(self, z: torch.Tensor) -> torch.Tensor:
        """Raw latents ``(N, c, ...)`` -> the generator's space."""
        self._check_set()
        return (z - self._view(self.mean, z)) / self._view(self.std, z)

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        """The generator's latents ``(N, c, ...)`` -> what the tokenizer decodes."""
        self._check_set()
        return z * self._view(self.std, z) + self._view(self.mean, z)

    def forward(self, data: Union[dict, list], training: bool = False) -> dict:
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        inputs = inputs.to(self.device, non_blocking=self._non_blocking).float()
        return dict(inputs=self.normalize(inputs), data_samples=data.get('data_samples'))
