"""A trained tokenizer for use: encode, decode and reconstruct images (and clips) of any size.

    from vitok_mm.apis import Tokenizer
    tok = Tokenizer.from_pretrained('configs/vitok/s-b_16_256p.py', 'iter_100000.pth')
    z = tok.encode('photo.jpg')                      # (1, c, h, w) latents
    posterior = tok.encode(images, return_posterior=True)   # .mean, .std, .sample()
    pixels = tok.decode(z, size=(375, 500))          # (1, 3, 375, 500) in [-1, 1]
    out = tok.reconstruct(['a.jpg', pil_image, uint8_array, tensor])  # same kinds back

Inputs: file paths, PIL images, ``(H, W, 3)`` uint8 arrays, ``(3, H, W)`` / ``(N, 3, H,
W)`` tensors in [-1, 1]; for video tokenizers ``(T, H, W, 3)`` uint8 arrays and ``(3, T,
H, W)`` / ``(N, 3, T, H, W)`` tensors. A list may mix kinds and sizes: inputs are grouped
by size into batches of ``batch_size``. Any size works: each input is padded (``pad_mode``
``'reflect'`` or ``'zeros'``) to a multiple of the patch (and tubelet) size and the output
is cropped back exactly.
"""
import os.path as osp
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import nn

PAD_MODES = ('reflect', 'zeros')
Input = Union[str, Any, np.ndarray, torch.Tensor]


def _reflect_pad(x: torch.Tensor, pads: Sequence[int]) -> torch.Tensor:
    """Reflect padding of any amount (F.pad's needs pad < size): reflect repeatedly,
    and repeat a single row or column (its own reflection)."""
    dims = len(pads) // 2
    for axis in range(dims):  # pads are (last_lo, last_hi, prev_lo, prev_hi, ...)
        lo, hi = pads[2 * axis], pads[2 * axis + 1]
        dim = x.ndim - 1 - axis
        while lo or hi:
            size = x.shape[dim]
            if size == 1:
                x = torch.cat([x.narrow(dim, 0, 1)] * lo + [x] + [x.narrow(dim, 0, 1)] * hi,
                              dim)
                break
            step_lo, step_hi = min(lo, size - 1), min(hi, size - 1)
            flat = x.movedim(dim, -1)
            shape = flat.shape
            flat = F.pad(flat.reshape(-1, 1, size), (step_lo, step_hi), mode='reflect')
            x = flat.reshape(*shape[:-1], size + step_lo + step_hi).movedim(-1, dim)
            lo, hi = lo - step_lo, hi - step_hi
    return x


class Tokenizer:
    """A tokenizer model wrapped for inference (see the module docstring).

    Args:
        model: a built tokenizer (``encode``/``decode``, ``patch_size``).
        device, dtype: where it runs; ``dtype=torch.bfloat16`` runs under autocast.
        batch_size: inputs per forward pass.
        pad_mode: ``'reflect'`` (default) or ``'zeros'``.
    """

    def __init__(self, model: nn.Module, device: Union[str, torch.device] = 'cpu',
                 dtype: Optional[torch.dtype] = None, batch_size: int = 8,
                 pad_mode: str = 'reflect'):
        if pad_mode not in PAD_MODES:
            raise ValueError(f'pad_mode={pad_mode!r}: choose one of {PAD_MODES}.')
        if dtype not in (None, torch.float32, torch.bfloat16):
            raise ValueError(f'dtype={dtype}: use None or torch.float32 (float32), or '
                             'torch.bfloat16 (autocast).')
        if batch_size < 1:
            raise ValueError(f'batch_size must be positive, got {batch_size}.')
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.dtype, self.batch_size, self.pad_mode = dtype, batch_size, pad_mode
        self.patch_size = int(model.patch_size)
        self.tubelet_size = getattr(model, 'tubelet_size', None)

    @classmethod
    def from_pretrained(cls, config: Union[str, Config], checkpoint: Optional[str] = None,
                        device: Union[str, torch.device] = 'cpu',
                        dtype: Optional[torch.dtype] = None, **kwargs) -> 'Tokenizer':
        """Build ``config`` with ``checkpoint``'s weights: the EMA weights when the run
        had an ``EMAHook`` (they are what its ``state_dict`` holds), read weights-only and
        strictly (a crafted pickle or another model's checkpoint is refused, naming the
        file).

        Args:
            config: a config file, a ``Config``, or a name of the model index
                (``configs/*/metafile.yml``, e.g. ``'vitok-s-b_16_256p'``; see
                :func:`~vitok_mm.apis.list_models`), whose checkpoint is the default.
            checkpoint: the weights (default: the index's for a name; else none, i.e.
                random weights).
        """
        from .inference import build_inference_model, load_inference_config
        if isinstance(config, str) and not config.endswith('.py') and not osp.isfile(config):
            from .model_index import find_model
            entry = find_model(config)
            config = entry.config
            checkpoint = checkpoint or entry.checkpoint()
        cfg = config if isinstance(config, Config) else load_inference_config(config)
        return cls(build_inference_model(cfg, checkpoint), device, dtype, **kwargs)

    @property
    def is_video(self) -> bool:
        return self.tubelet_size is not None

    # ------------------------------------------------------------------ inputs
    def _to_tensor(self, item: Input) -> Tuple[torch.Tensor, str]:
        """One input as a ``(3, [T,] H, W)`` float tensor in [-1, 1], and its kind."""
        from PIL import Image
        if isinstance(item, torch.Tensor):
            expected = 4 if self.is_video else 3
            if item.ndim != expected or item.shape[0] != 3:
                raise ValueError(f'a tensor input must be (3, {"T, " if self.is_video else ""}'
                                 f'H, W) in [-1, 1], got shape {tuple(item.shape)}.')
            return item.float(), 'tensor'
        kind = 'array'
        if isinstance(item, str) or hasattr(item, '__fspath__'):
            from vitok_mm.datasets.transforms.loading import LoadImage
            # The datasets' reader: any mode to 8-bit RGB; a corrupt file is a
            # CorruptSampleError naming it.
            item, kind = LoadImage()(dict(img_path=str(item)))['img'], 'path'
        elif isinstance(item, Image.Image):
            from vitok_mm.datasets.transforms.loading import to_rgb8
            item, kind = to_rgb8(item), 'pil'
        if not isinstance(item, np.ndarray):
            raise ValueError(f'unsupported input of type {type(item).__name__}: give a file '
                             'path, a PIL image, a uint8 array or a tensor in [-1, 1].')
        expected = 4 if self.is_video else 3
        if item.ndim != expected or item.shape[-1] != 3 or item.dtype != np.uint8:
            raise ValueError(f'an array input must be uint8 ({"T, " if self.is_video else ""}'
                             f'H, W, 3), got {item.dtype} of shape {item.shape}.')
        pixels = torch.from_numpy(np.array(item)).movedim(-1, 0).float()
        return pixels / 127.5 - 1.0, kind

    def _as_list(self, inputs) -> Tuple[List[torch.Tensor], List[str], bool]:
        single = not isinstance(inputs, (list, tuple))
        if isinstance(inputs, torch.Tensor) and inputs.ndim == (5 if self.is_video else 4):
            return [x for x in inputs], ['batch'] * len(inputs), False
        items = [inputs] if single else list(inputs)
        if not items:
            raise ValueError('no inputs given.')
        converted = [self._to_tensor(item) for item in items]
        return [c[0] for c in converted], [c[1] for c in converted], single

    def _padding(self, shape: Sequence[int]) -> List[int]:
        """``F.pad`` amounts (last axis first) to the next multiple of the patch/tubelet,
        all at the end of each axis."""
        multiples = [self.patch_size, self.patch_size]
        if self.is_video:
            multiples = [self.tubelet_size] + multiples
        pads = []
        for size, multiple in zip(reversed(shape), reversed(multiples)):
            pads += [0, (-size) % multiple]
        return pads

    def _pad(self, batch: torch.Tensor) -> torch.Tensor:
        pads = self._padding(batch.shape[2:])
        if not any(pads):
            return batch
        if self.pad_mode == 'zeros':
            return F.pad(batch, pads)
        return _reflect_pad(batch, pads)

    def _groups(self, tensors: List[torch.Tensor]) -> List[List[int]]:
        """Indices of the inputs, grouped by size, in batches of ``batch_size``."""
        by_size = {}
        for index, tensor in enumerate(tensors):
            by_size.setdefault(tuple(tensor.shape), []).append(index)
        return [indices[i:i + self.batch_size] for indices in by_size.values()
                for i in range(0, len(indices), self.batch_size)]

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16,
                              enabled=self.dtype == torch.bfloat16)

    # ------------------------------------------------------------------ the API
    @torch.no_grad()
    def encode(self, inputs, return_posterior: bool = False, sample: bool = False,
               generator: Optional[torch.Generator] = None):
        """Latents ``(N, c, [t,] h, w)`` of the (padded) inputs (a list of latents when
        their sizes differ): the posterior mean, a sample with ``sample=True``, or with
        ``return_posterior=True`` the posterior (``mean``, ``std``, ``sample()``; one
        input, or a same-size batch)."""
        tensors, _, _ = self._as_list(inputs)
        groups = self._groups(tensors)
        if return_posterior:
            if len(groups) != 1:
                raise ValueError('return_posterior needs inputs of one size in one batch '
                                 f'(batch_size={self.batch_size}); encode them apart.')
            with self._autocast():
                return self.model.encode(self._pad(torch.stack(tensors).to(self.device)))
        latents: List[Optional[torch.Tensor]] = [None] * len(tensors)
        for group in groups:
            batch = self._pad(torch.stack([tensors[i] for i in group]).to(self.device))
            with self._autocast():
                posterior = self.model.encode(batch)
                z = posterior.sample(generator) if sample else posterior.mode()
            for i, latent in zip(group, z.float()):
                latents[i] = latent
        if len({tuple(z.shape) for z in latents}) > 1:
            return latents  # inputs of different sizes: one latent each
        return torch.stack(latents)

    @torch.no_grad()
    def decode(self, latents: torch.Tensor,
               size: Optional[Sequence[int]] = None) -> torch.Tensor:
        """Pixels ``(N, 3, [T,] H, W)`` in [-1, 1] (float32) of latents
        ``(N, c, [t,] h, w)``, cropped to ``size`` (``(H, W)`` or ``(T, H, W)``) when
        given, e.g. the size of the input that was encoded."""
        if latents.ndim != (5 if self.is_video else 4):
            raise ValueError(f'latents must be (N, c, {"t, " if self.is_video else ""}h, w), '
                             f'got shape {tuple(latents.shape)}.')
        outputs = []
        for start in range(0, latents.shape[0], self.batch_size):
            with self._autocast():
                pixels = self.model.decode(latents[start:start + self.batch_size]
                                           .to(self.device))
            outputs.append(pixels.float().clamp(-1, 1))
        pixels = torch.cat(outputs)
        if size is not None:
            size = tuple(int(s) for s in size)
            have = tuple(pixels.shape[-len(size):])
            if any(s > h for s, h in zip(size, have)):
                raise ValueError(f'size {size} is larger than the decoded {have}.')
            for axis, s in enumerate(size):
                pixels = pixels.narrow(pixels.ndim - len(size) + axis, 0, s)
        return pixels

    def reconstruct(self, inputs):
        """Each input encoded to its posterior mean, decoded and cropped back to its size,
        returned as its own kind: PIL images for paths and PIL images, uint8 arrays for
        arrays, tensors in [-1, 1] for tensors (a batch tensor for a batch tensor)."""
        tensors, kinds, single = self._as_list(inputs)
        outputs: List[Any] = [None] * len(tensors)
        for group in self._groups(tensors):
            size = tensors[group[0]].shape[1:]
            z = self.encode([tensors[i] for i in group])
            for i, pixels in zip(group, self.decode(z, size)):
                outputs[i] = self._as_kind(pixels.cpu(), kinds[i])
        if kinds and kinds[0] == 'batch':
            return torch.stack(outputs)
        return outputs[0] if single else outputs

    @staticmethod
    def _as_kind(pixels: torch.Tensor, kind: str):
        if kind in ('tensor', 'batch'):
            return pixels
        array = ((pixels + 1) * 127.5).round().clamp(0, 255).byte().movedim(0, -1).numpy()
        if kind == 'array' or array.ndim == 4:
            return array
        from PIL import Image
        return Image.fromarray(array)


__all__ = ['PAD_MODES', 'Tokenizer']
