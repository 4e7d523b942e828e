"""A trained tokenizer for use: encode, decode and reconstruct images (and clips) of any size.

    from vitok_mm.apis import Tokenizer
    tok = Tokenizer.from_pretrained('configs/vitok/s-b_16_256p.py', 'iter_100000.pth')
    tok = Tokenizer.from_pretrained('vitok-v2-350m-f16x16')   # downloaded from the Hub
    tok.save_pretrained('my-tokenizer')              # config.py, model.safetensors, ...
    tok = Tokenizer.from_pretrained('my-tokenizer')  # or 'hf://ORG/REPO'
    z = tok.encode('photo.jpg')                      # (1, c, h, w) latents
    posterior = tok.encode(images, return_posterior=True)   # .mean, .std, .sample()
    pixels = tok.decode(z, size=(375, 500))          # (1, 3, 375, 500) in [-1, 1]
    out = tok.reconstruct(['a.jpg', pil_image, uint8_array, tensor])  # same kinds back

Inputs: file paths, PIL images, ``(H, W, 3)`` uint8 arrays, ``(3, H, W)`` / ``(N, 3, H,
W)`` tensors in [-1, 1]; for video tokenizers ``(T, H, W, 3)`` uint8 arrays and ``(3, T,
H, W)`` / ``(N, 3, T, H, W)`` tensors. A list may mix kinds and sizes: inputs are grouped
by size into batches of ``batch_size``. Any size works: each input is padded (``pad_mode``
``'reflect'`` or ``'zeros'``) to a multiple of the patch (and tubelet) size and the output
is cropped back exactly; ``resize=`` (a short side) or ``max_tokens=`` (a token budget)
resizes instead, keeping the aspect ratio. Video files are decoded with decord (every
frame) and come back as ``(T, H, W, 3)`` uint8 arrays.

Large inputs: ``tile_size=`` encodes and decodes images (and the frames of clips) larger
than a tile in overlapping tiles blended linearly (see :mod:`.tiling`), and
``chunk_frames=`` cuts long clips into chunks of whole tubelets; both bound the memory
of one forward pass.
"""
import copy
import hashlib
import math
import os.path as osp
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import nn

from .tiling import tiled_map

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
        batch_size: inputs (or tiles) per forward pass.
        pad_mode: ``'reflect'`` (default) or ``'zeros'``.
        resize: resize every input to this short side (aspect ratio kept) instead of
            keeping its size; outputs come back at the resized size.
        max_tokens: or shrink every input whose (padded) token grid has more than this
            many tokens per frame, keeping the aspect ratio, as ViTok-v2 does (see
            :func:`fit_to_token_budget`); smaller inputs keep their size.
        packed: batch inputs of different sizes together, each padded to its own patch
            multiple, their token sequences padded to one length and masked (ViTok-v2's
            NaFlex); otherwise inputs are grouped by size. Equal results either way.
        tile_size: encode and decode inputs with a side longer than this (pixels, a
            multiple of the patch size) in overlapping tiles of this size.
        tile_overlap: pixels two neighbouring tiles share (default a quarter tile,
            rounded to the patch size).
        chunk_frames: encode and decode clips longer than this (frames, a multiple of
            the tubelet size) chunk by chunk.
        fingerprint: what identifies the weights (default: the SHA-256 of the
            checkpoint file with :meth:`from_pretrained`, else of the weights).
        config: the config the model was built from (what :meth:`save_pretrained`
            writes); :meth:`from_pretrained` sets it.
        source: where the weights came from (a checkpoint file), for the record.
    """

    def __init__(self, model: nn.Module, device: Union[str, torch.device] = 'cpu',
                 dtype: Optional[torch.dtype] = None, batch_size: int = 8,
                 pad_mode: str = 'reflect', resize: Optional[int] = None,
                 max_tokens: Optional[int] = None, tile_size: Optional[int] = None,
                 tile_overlap: Optional[int] = None, chunk_frames: Optional[int] = None,
                 packed: bool = False, fingerprint: Optional[str] = None,
                 config: Optional[Config] = None, source: Optional[str] = None):
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
        if resize is not None and max_tokens is not None:
            raise ValueError('give resize= (a short side) or max_tokens= (a token budget), '
                             'not both.')
        if resize is not None and resize < 1:
            raise ValueError(f'resize must be a positive short side, got {resize}.')
        if max_tokens is not None and max_tokens < 1:
            raise ValueError(f'max_tokens must be positive, got {max_tokens}.')
        self.resize, self.max_tokens = resize, max_tokens
        p = self.patch_size
        if tile_size is not None:
            if tile_size < p or tile_size % p:
                raise ValueError(f'tile_size={tile_size} must be a positive multiple of the '
                                 f'patch size {p}.')
            if tile_overlap is None:
                tile_overlap = (tile_size // 4) // p * p
            if tile_overlap < 0 or tile_overlap % p or tile_overlap >= tile_size:
                raise ValueError(f'tile_overlap={tile_overlap} must be a multiple of the patch '
                                 f'size {p} in [0, tile_size={tile_size}).')
        elif tile_overlap is not None:
            raise ValueError('tile_overlap needs tile_size.')
        self.tile_size, self.tile_overlap = tile_size, tile_overlap
        if chunk_frames is not None:
            if not self.is_video:
                raise ValueError('chunk_frames is for video tokenizers; this one takes images.')
            if chunk_frames < 1 or chunk_frames % self.tubelet_size:
                raise ValueError(f'chunk_frames={chunk_frames} must be a positive multiple of '
                                 f'the tubelet size {self.tubelet_size} (whole tubelets).')
        self.chunk_frames = chunk_frames
        if packed and not hasattr(model, 'encode_packed'):
            raise ValueError(f'packed=True needs a model with encode_packed/decode_packed; '
                             f'{type(model).__name__} has none.')
        self.packed = packed
        self._fingerprint = fingerprint
        self.config, self.source = config, source

    @classmethod
    def from_pretrained(cls, config: Union[str, Config], checkpoint: Optional[str] = None,
                        device: Union[str, torch.device] = 'cpu',
                        dtype: Optional[torch.dtype] = None, revision: Optional[str] = None,
                        cache_dir: Optional[str] = None, local_files_only: bool = False,
                        **kwargs) -> 'Tokenizer':
        """A tokenizer with trained weights, read weights-only and strictly (a crafted
        pickle or another model's weights are refused, naming the file).

        Args:
            config: one of
                - a name of the model index (``configs/*/metafile.yml``, e.g.
                  ``'vitok-v2-350m-f16x16'``; see :func:`~vitok_mm.apis.list_models`),
                  whose weights are the default: downloaded from the Hugging Face Hub
                  (and converted) or a URL on first use, or the checkpoint its training
                  run writes;
                - a folder written by :meth:`save_pretrained`, or ``'hf://ORG/REPO[@REV]'``
                  such a folder uploaded to the Hub;
                - a config file or a ``Config`` (with ``checkpoint``; without one the
                  weights are random).
            checkpoint: the weights: an MMEngine checkpoint (the EMA weights when the
                run had an ``EMAHook``: they are what its ``state_dict`` holds) or a
                ``.safetensors`` file.
            dtype: ``torch.bfloat16`` builds the model in bf16 (safetensors weights are
                memory-mapped and converted tensor by tensor: one copy of the weights in
                memory) and runs it under autocast; default float32.
            revision, cache_dir, local_files_only: for weights on the Hub, as
                ``huggingface_hub.hf_hub_download`` takes them (``HF_TOKEN``, ``HF_HOME``
                and ``HF_HUB_OFFLINE`` apply too).
            **kwargs: the constructor's options; a config's ``tokenizer = dict(...)``
                gives defaults for them.
        """
        from vitok_mm.models.builder import load_model
        from vitok_mm.utils import register_all_modules

        from .generation import is_generator_config
        from .inference import load_inference_config
        from .model_index import resolve_model
        from .pretrained import read_folder, saved_folder
        register_all_modules()  # callers go on to build datasets and transforms by name
        info = {}
        hub = dict(cache_dir=cache_dir, local_files_only=local_files_only)
        folder = saved_folder(config, checkpoint, 'tokenizer', revision, **hub)
        if folder is not None:
            cfg, checkpoint, info = read_folder(folder)
        else:
            config, checkpoint = resolve_model(config, checkpoint, dtype, revision=revision,
                                               **hub)
            cfg = config if isinstance(config, Config) else load_inference_config(config)
        if is_generator_config(cfg):
            raise ValueError(f'{cfg.filename} is a generator (LatentDiffusion), not a '
                             'tokenizer: load it with vitok_mm.apis.Generator.from_pretrained.')
        # The config's own defaults (e.g. ViTok-v2's zero padding and packed batches).
        kwargs = {**dict(cfg.get('tokenizer', {})), **kwargs}
        if checkpoint is not None and osp.isdir(checkpoint):
            # Another library's model folder (a diffusers VAE): its class loads it.
            fingerprint, cfg = _library_folder(cfg, checkpoint)
            kwargs.setdefault('fingerprint', fingerprint)
            checkpoint = None
        if checkpoint is not None and 'fingerprint' not in kwargs and osp.isfile(checkpoint):
            # As the latent caches identify their tokenizer (extract_latents); else the
            # loader names the missing file.
            from vitok_mm.utils.weights import weights_fingerprint
            kwargs['fingerprint'] = info.get('fingerprint') or weights_fingerprint(checkpoint)
        model = load_model(cfg, checkpoint, dtype or torch.float32)
        return cls(model, device, dtype, config=cfg,
                   source=info.get('source_checkpoint') or checkpoint, **kwargs)

    def save_pretrained(self, folder: str, metrics: Optional[dict] = None) -> dict:
        """Write this tokenizer as a folder that :meth:`from_pretrained` reads (and that
        can be uploaded to the Hugging Face Hub as it is): ``config.py``,
        ``model.safetensors``, ``vitok.json``, ``README.md``; returns ``vitok.json``'s
        contents. See :mod:`vitok_mm.apis.pretrained`."""
        from .pretrained import save_pretrained
        return save_pretrained(self, folder, metrics)

    @property
    def is_video(self) -> bool:
        return self.tubelet_size is not None

    @property
    def fingerprint(self) -> str:
        """SHA-256 hex of the checkpoint file (:meth:`from_pretrained`), else of the
        weights: latents written by ``encode`` carry it, and ``decode`` checks it."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            for name, tensor in sorted(self.model.state_dict().items()):
                digest.update(name.encode())
                digest.update(tensor.detach().cpu().contiguous().view(torch.uint8)
                              .numpy().tobytes() if tensor.numel() else b'')
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

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
            item, kind = self.read_file(str(item)), 'path'
        elif isinstance(item, Image.Image):
            from PIL import ImageOps

            from vitok_mm.datasets.transforms.loading import to_rgb8
            # As displayed: a photo opened with its EXIF orientation tag is turned (a no-op
            # for one already turned, which no longer has the tag).
            item, kind = to_rgb8(ImageOps.exif_transpose(item)), 'pil'
        if not isinstance(item, np.ndarray):
            raise ValueError(f'unsupported input of type {type(item).__name__}: give a file '
                             'path, a PIL image, a uint8 array or a tensor in [-1, 1].')
        expected = 4 if self.is_video else 3
        if item.ndim != expected or item.shape[-1] != 3 or item.dtype != np.uint8:
            raise ValueError(f'an array input must be uint8 ({"T, " if self.is_video else ""}'
                             f'H, W, 3), got {item.dtype} of shape {item.shape}.')
        pixels = torch.from_numpy(np.array(item)).movedim(-1, 0).float()
        return pixels / 127.5 - 1.0, kind

    def read_file(self, path: str) -> np.ndarray:
        """An image file as ``(H, W, 3)`` uint8, or for a video tokenizer a video file as
        ``(T, H, W, 3)`` uint8 (every frame). A corrupt file raises
        :class:`~vitok_mm.datasets.CorruptSampleError` naming it."""
        from vitok_mm.datasets import VIDEO_EXTENSIONS
        is_video_file = osp.splitext(path)[1].lower() in VIDEO_EXTENSIONS
        if is_video_file != self.is_video:
            raise ValueError(
                f'{path} is {"a video" if is_video_file else "an image"} but this is '
                f'{"a video" if self.is_video else "an image"} tokenizer; use '
                f'{"a video" if is_video_file else "an image"} tokenizer '
                f'(`vitok-mm list {"video" if is_video_file else "vitok"}`).')
        if is_video_file:
            from .video_io import read_video
            return read_video(path)[0]
        from vitok_mm.datasets.transforms.loading import LoadImage
        # The datasets' reader: any mode to 8-bit RGB; a corrupt file is a
        # CorruptSampleError naming it.
        return LoadImage(exif_orientation=True)(dict(img_path=path))['img']

    def _target_size(self, height: int, width: int) -> Tuple[int, int]:
        """The size ``resize`` / ``max_tokens`` give an input of ``height x width``."""
        if self.resize is not None:
            scale = self.resize / min(height, width)
            return (max(1, round(height * scale)), max(1, round(width * scale)))
        return fit_to_token_budget(height, width, self.patch_size, self.max_tokens)

    def _resized(self, pixels: torch.Tensor) -> torch.Tensor:
        if self.resize is None and self.max_tokens is None:
            return pixels
        size = self._target_size(*pixels.shape[-2:])
        if size == tuple(pixels.shape[-2:]):
            return pixels
        frames = pixels if pixels.ndim == 4 else pixels[:, None]  # (3, T, H, W)
        out = F.interpolate(frames.movedim(1, 0), size=size, mode='bicubic',
                            antialias=True, align_corners=False).movedim(0, 1)
        return out if pixels.ndim == 4 else out[:, 0]

    def preprocess(self, item: Input) -> torch.Tensor:
        """One input as the model sees it before padding: ``(3, [T,] H, W)`` in [-1, 1],
        resized when ``resize`` / ``max_tokens`` is set."""
        return self._resized(self._to_tensor(item)[0])

    def _as_list(self, inputs) -> Tuple[List[torch.Tensor], List[str], bool]:
        single = not isinstance(inputs, (list, tuple))
        if isinstance(inputs, torch.Tensor) and inputs.ndim == (5 if self.is_video else 4):
            return [self._resized(x) for x in inputs], ['batch'] * len(inputs), False
        items = [inputs] if single else list(inputs)
        if not items:
            raise ValueError('no inputs given.')
        converted = [self._to_tensor(item) for item in items]
        return [self._resized(c[0]) for c in converted], [c[1] for c in converted], single

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
        """Indices of the inputs in batches of ``batch_size``: grouped by size, or with
        ``packed`` in input order whatever their sizes (except those that go in tiles or
        chunks, grouped by size)."""
        by_size, mixed = {}, []
        for index, tensor in enumerate(tensors):
            if self.packed and not self._split(tensor.shape[1:]):
                mixed.append(index)
            else:
                by_size.setdefault(tuple(tensor.shape), []).append(index)
        return [indices[i:i + self.batch_size] for indices in [mixed, *by_size.values()]
                for i in range(0, len(indices), self.batch_size)]

    def _split(self, size: Sequence[int]) -> bool:
        """Whether an input of ``size`` (``[T,] H, W``) goes in tiles or chunks."""
        tiles = self.tile_size is not None and max(size[-2:]) > self.tile_size
        return tiles or (self.chunk_frames is not None and size[0] > self.chunk_frames)

    def _same_size(self, tensors: Sequence[torch.Tensor]) -> bool:
        return len({tuple(t.shape) for t in tensors}) == 1

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16,
                              enabled=self.dtype == torch.bfloat16)

    # ------------------------------------------------------- chunks and tiles
    def _encode_padded(self, batch: torch.Tensor):
        """The posterior of a padded batch, chunk by chunk in time and tile by tile in
        space when the input is larger than ``chunk_frames`` / ``tile_size``."""
        cf = self.chunk_frames
        if cf is not None and batch.shape[2] > cf:
            parts = [self._encode_moments(batch[:, :, s:s + cf])
                     for s in range(0, batch.shape[2], cf)]
            return _posterior([torch.cat(m, dim=2) for m in zip(*parts)])
        return _posterior(self._encode_moments(batch))

    def _encode_moments(self, batch: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        def encode(pixels: torch.Tensor) -> Tuple[torch.Tensor, ...]:
            with self._autocast():
                return _moments(self.model.encode(pixels))
        if self.tile_size is None or max(batch.shape[-2:]) <= self.tile_size:
            return encode(batch)
        return tiled_map(encode, batch, self.tile_size, self.tile_overlap,
                         1 / self.patch_size, self.batch_size)

    def _decode_latents(self, z: torch.Tensor) -> torch.Tensor:
        cf = self.chunk_frames
        if cf is not None and z.shape[2] * self.tubelet_size > cf:
            step = cf // self.tubelet_size
            return torch.cat([self._decode_tiles(z[:, :, s:s + step])
                              for s in range(0, z.shape[2], step)], dim=2)
        return self._decode_tiles(z)

    def _decode_tiles(self, z: torch.Tensor) -> torch.Tensor:
        def decode(latents: torch.Tensor) -> Tuple[torch.Tensor]:
            with self._autocast():
                return (self.model.decode(latents).float(), )
        p = self.patch_size
        if self.tile_size is None or max(z.shape[-2:]) * p <= self.tile_size:
            return decode(z)[0]
        return tiled_map(decode, z, self.tile_size // p, self.tile_overlap // p, p,
                         self.batch_size)[0]

    # ------------------------------------------------------------------ the API
    # no_grad rather than inference_mode: a Tokenizer may wrap a model that trains again
    # (the visualization hook's), and tensors made under inference_mode never can.
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
            if len(groups) != 1 or not self._same_size(tensors):
                raise ValueError('return_posterior needs inputs of one size in one batch '
                                 f'(batch_size={self.batch_size}); encode them apart.')
            return self._encode_padded(self._pad(torch.stack(tensors).to(self.device)))
        latents: List[Optional[torch.Tensor]] = [None] * len(tensors)
        for group in groups:
            members = [tensors[i] for i in group]
            if self._same_size(members):
                posteriors = [self._encode_padded(self._pad(torch.stack(members)
                                                            .to(self.device)))]
            else:  # a packed batch of different sizes
                with self._autocast():
                    posteriors = self.model.encode_packed(
                        [self._pad(t[None].to(self.device))[0] for t in members])
            z = [p.sample(generator) if sample else p.mode() for p in posteriors]
            for i, latent in zip(group, torch.cat(z) if len(z) == 1 else [x[0] for x in z]):
                latents[i] = latent.float()
        if len({tuple(z.shape) for z in latents}) > 1:
            return latents  # inputs of different sizes: one latent each
        return torch.stack(latents)

    @torch.no_grad()
    def decode(self, latents: Union[torch.Tensor, Sequence[torch.Tensor]],
               size: Optional[Sequence] = None):
        """Pixels ``(N, 3, [T,] H, W)`` in [-1, 1] (float32) of latents
        ``(N, c, [t,] h, w)``, cropped to ``size`` (``(H, W)`` or ``(T, H, W)``) when
        given, e.g. the size of the input that was encoded. A list of latents
        ``(c, [t,] h, w)`` of different sizes (what :meth:`encode` returns for inputs of
        different sizes) gives a list of pixels, ``size`` a list of sizes."""
        if not isinstance(latents, torch.Tensor):
            return self._decode_list(list(latents), size)
        if latents.ndim != (5 if self.is_video else 4):
            raise ValueError(f'latents must be (N, c, {"t, " if self.is_video else ""}h, w), '
                             f'got shape {tuple(latents.shape)}.')
        outputs = []
        for start in range(0, latents.shape[0], self.batch_size):
            pixels = self._decode_latents(latents[start:start + self.batch_size]
                                          .to(self.device))
            outputs.append(pixels.float().clamp(-1, 1))
        return _crop(torch.cat(outputs), size)

    def _decode_list(self, latents: List[torch.Tensor], sizes: Optional[Sequence]) -> list:
        if sizes is not None and len(sizes) != len(latents):
            raise ValueError(f'{len(latents)} latents but {len(sizes)} sizes.')
        p, q = self.patch_size, self.tubelet_size or 1
        pixel_sizes = [((z.shape[1] * q, ) if self.is_video else ()) + (z.shape[-2] * p,
                                                                         z.shape[-1] * p)
                       for z in latents]
        outputs: List[Optional[torch.Tensor]] = [None] * len(latents)
        for group in self._groups([torch.empty(1, *size) for size in pixel_sizes]):
            members = [latents[i].to(self.device) for i in group]
            if self._same_size(members):
                pixels = list(self.decode(torch.stack(members)))
            else:
                with self._autocast():
                    pixels = [x.float().clamp(-1, 1) for x in self.model.decode_packed(members)]
            for i, x in zip(group, pixels):
                outputs[i] = _crop(x[None], None if sizes is None else sizes[i])[0]
        return outputs

    def reconstruct(self, inputs):
        """Each input encoded to its posterior mean, decoded and cropped back to its size,
        returned as its own kind: PIL images for paths and PIL images, uint8 arrays for
        arrays, tensors in [-1, 1] for tensors (a batch tensor for a batch tensor)."""
        tensors, kinds, single = self._as_list(inputs)
        outputs: List[Any] = [None] * len(tensors)
        for group in self._groups(tensors):
            members = [tensors[i] for i in group]
            z = self.encode(members)
            if isinstance(z, torch.Tensor):
                pixels = self.decode(z, members[0].shape[1:])
            else:  # a packed batch of different sizes
                pixels = self.decode(z, [t.shape[1:] for t in members])
            for i, x in zip(group, pixels):
                outputs[i] = self._as_kind(x.cpu(), kinds[i])
        if kinds and kinds[0] == 'batch':
            return torch.stack(outputs)
        return outputs[0] if single else outputs

    @staticmethod
    def _as_kind(pixels: torch.Tensor, kind: str):
        if kind in ('tensor', 'batch'):
            return pixels
        array = to_uint8(pixels)
        if kind == 'array' or array.ndim == 4:
            return array
        from PIL import Image
        return Image.fromarray(array)


def _library_folder(cfg: Config, folder: str) -> Tuple[str, Config]:
    """``(fingerprint, config)`` for a model another library loads from ``folder`` (a
    diffusers VAE): the config with ``pretrained=folder``, the weights file's fingerprint.

    Raises:
        ValueError: the config's model does not load folders.
    """
    from vitok_mm.models.tokenizers.diffusers_vae import DIFFUSERS_WEIGHTS
    from vitok_mm.utils.weights import weights_fingerprint
    if cfg.get('model', {}).get('type') != 'DiffusersAutoencoder':
        raise ValueError(f'{folder} is a folder: give a checkpoint file for '
                         f'{cfg.get("model", {}).get("type")}, or a diffusers VAE folder with a '
                         'DiffusersAutoencoder config (configs/baselines).')
    weights = osp.join(folder, DIFFUSERS_WEIGHTS)
    if not osp.isfile(weights):
        raise FileNotFoundError(f'{folder} has no {DIFFUSERS_WEIGHTS}: give a diffusers VAE '
                                'folder (what its save_pretrained writes).')
    cfg = copy.deepcopy(cfg)
    cfg.model.pretrained = folder
    cfg.model.pop('vae_config', None)
    return weights_fingerprint(weights), cfg


def _crop(pixels: torch.Tensor, size: Optional[Sequence[int]]) -> torch.Tensor:
    """``pixels (N, 3, ...)`` cropped to ``size`` over its last axes."""
    if size is None:
        return pixels
    size = tuple(int(s) for s in size)
    have = tuple(pixels.shape[-len(size):])
    if any(s > h for s, h in zip(size, have)):
        raise ValueError(f'size {size} is larger than the decoded {have}.')
    for axis, s in enumerate(size):
        pixels = pixels.narrow(pixels.ndim - len(size) + axis, 0, s)
    return pixels


def fit_to_token_budget(height: int, width: int, patch_size: int,
                        max_tokens: int) -> Tuple[int, int]:
    """ViTok-v2's token budget: an image whose ``ceil(H/p) * ceil(W/p)`` patches exceed
    ``max_tokens`` shrinks to ``floor(h_p * s) x floor(w_p * s)`` patches (``s =
    sqrt(budget / (h_p * w_p))``, aspect ratio kept, never larger than it was); others
    keep their size."""
    p = patch_size
    rows, cols = math.ceil(height / p), math.ceil(width / p)
    if rows * cols <= max_tokens:
        return height, width
    scale = math.sqrt(max_tokens / (rows * cols))
    rows, cols = max(1, math.floor(rows * scale + 1e-5)), max(1, math.floor(cols * scale + 1e-5))
    return min(rows * p, height), min(cols * p, width)


def to_uint8(pixels: torch.Tensor) -> np.ndarray:
    """Pixels ``(3, [T,] H, W)`` in [-1, 1] as a uint8 array ``([T,] H, W, 3)``."""
    return ((pixels.float().cpu() + 1) * 127.5).round().clamp(0, 255).byte().movedim(
        0, -1).numpy()


def _moments(posterior) -> Tuple[torch.Tensor, ...]:
    """What defines a posterior: ``(mean, logvar)`` of a Gaussian, ``(latent, )``."""
    if hasattr(posterior, 'logvar'):
        return posterior.mean, posterior.logvar
    return (posterior.mode(), )


def _posterior(moments: Sequence[torch.Tensor]):
    from vitok_mm.models.bottlenecks.deterministic import DeterministicLatent
    from vitok_mm.models.bottlenecks.gaussian import DiagonalGaussian
    if len(moments) == 2:
        return DiagonalGaussian(*moments)
    return DeterministicLatent(moments[0])


__all__ = ['PAD_MODES', 'Tokenizer', 'fit_to_token_budget', 'to_uint8']
