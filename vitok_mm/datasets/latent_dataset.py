"""The latents of a cache written by ``tools/extract_latents.py``, for generators."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

from vitok_mm.registry import DATASETS
from vitok_mm.utils.latent_cache import read_manifest, shard_name

from .seeding import SampleKey, split_key


@DATASETS.register_module()
class LatentDataset(Dataset):
    """Raw latents and labels of a latent cache (normalisation is the model's
    ``LatentPreprocessor``'s job, not the dataset's).

    Args:
        cache: the cache folder (``manifest.json``, ``stats.pth``, ``shard_*.npz``).
        sample_posterior: draw ``mean + std * noise`` instead of the mean (needs a cache
            made with ``store='moments'``); the noise is seeded by the draw's seed when the
            sampler gives one (``ResumableInfiniteSampler``), else by the index.
        in_memory: load every shard at start (fast draws; the cache must fit in memory).
            ``False`` opens shards on demand and keeps ``max_open_shards`` of them.
        indices: only the first ``indices`` latents (an int), e.g. a validation subset.

    Items: ``dict(inputs=(c, [t,] h, w) float32, data_samples=BaseDataElement(label=...,
    sample_idx=...))``. ``metainfo`` holds the tokenizer ``fingerprint``, the
    ``latent_shape`` and the number of classes.
    """

    def __init__(self, cache: str, sample_posterior: bool = False, in_memory: bool = True,
                 max_open_shards: int = 8, indices: Optional[int] = None):
        self.cache = cache
        self.manifest = read_manifest(cache)
        if sample_posterior and self.manifest['store'] != 'moments':
            raise ValueError(
                f'sample_posterior=True needs the posterior std, but {cache} stores only the '
                "mean; extract it again with --store moments, or set sample_posterior=False.")
        self.sample_posterior = sample_posterior
        self.shard_size = int(self.manifest['shard_size'])
        self.length = int(self.manifest['count'])
        if indices is not None:
            if not isinstance(indices, int) or indices < 1:
                raise ValueError(f'indices must be a positive int (the first n latents), got '
                                 f'{indices!r}.')
            self.length = min(self.length, indices)
        self.max_open_shards = max_open_shards
        self._open: 'OrderedDict[int, Dict[str, np.ndarray]]' = OrderedDict()
        self.in_memory = in_memory
        keys = ('mean', 'std', 'labels') if sample_posterior else ('mean', 'labels')
        self._keys = keys
        if in_memory:
            parts = [self._read(index) for index in range(int(self.manifest['shards']))]
            self._all = {k: np.concatenate([p[k] for p in parts]) for k in keys}
            labels = self._all['labels']
        else:
            labels = np.concatenate([self._read(i)['labels']
                                     for i in range(int(self.manifest['shards']))])
            self._open.clear()
        self.metainfo = dict(
            fingerprint=self.manifest['tokenizer_fingerprint'],
            latent_shape=tuple(self.manifest['latent_shape']),
            num_classes=int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0,
            cache=cache)

    def _read(self, index: int) -> Dict[str, np.ndarray]:
        path = osp.join(self.cache, shard_name(index))
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path} is missing from the latent cache {self.cache}; run the '
                'tools/extract_latents.py command that made it again to fill it in.')
        with np.load(path) as shard:
            return {k: shard[k] for k in self._keys}

    def _shard(self, index: int) -> Dict[str, np.ndarray]:
        if index in self._open:
            self._open.move_to_end(index)
            return self._open[index]
        arrays = self._read(index)
        self._open[index] = arrays
        if len(self._open) > self.max_open_shards:
            self._open.popitem(last=False)
        return arrays

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, key: SampleKey) -> dict:
        index, seed = split_key(key)
        if not 0 <= index < self.length:
            raise IndexError(f'latent {index} of a cache of {self.length}')
        if self.in_memory:
            arrays, row = self._all, index
        else:
            arrays, row = self._shard(index // self.shard_size), index % self.shard_size
        latent = torch.from_numpy(arrays['mean'][row].astype(np.float32))
        if self.sample_posterior:
            generator = torch.Generator().manual_seed(index if seed is None else seed)
            std = torch.from_numpy(arrays['std'][row].astype(np.float32))
            latent = latent + std * torch.randn(latent.shape, generator=generator)
        meta = dict(label=int(arrays['labels'][row]), sample_idx=index)
        return dict(inputs=latent, data_samples=BaseDataElement(metainfo=meta))
