"""Encoding a dataset once into a latent cache, for generators to train on.

The layout is described in :mod:`vitok_mm.utils.latent_cache`. Sample ``k`` of the cache
is view ``v`` of dataset item ``i`` (``k = (i * views + v) * flips + f``, ``f = 1`` its
horizontal mirror when ``flip``); each view's augmentation is seeded by ``(seed, i *
views + v)``. Shard ``s`` holds samples ``[s * shard_size, (s + 1) * shard_size)`` and is
written by process ``s % world_size``, under a temporary name renamed into place, so its
content depends on nothing but its ids: one process or several write the same files, and
a rerun encodes only the shards that are missing.
"""
import json
import math
import os
import os.path as osp
from functools import partial
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import barrier, get_dist_info
from mmengine.utils import ProgressBar

from vitok_mm.apis.inference import build_inference_model, load_inference_config
from vitok_mm.utils.folder_lock import lock_folder
from vitok_mm.utils.latent_cache import MANIFEST_FILE, STATS_FILE, shard_name
from vitok_mm.utils.processes import init_distributed, local_device
from vitok_mm.utils.storage import staged_file
from vitok_mm.utils.weights import weights_fingerprint

STORES = ('mean', 'moments')
DTYPES = {'float16': np.float16, 'float32': np.float32}
SPLITS = ('train', 'val', 'test')
#: Manifest entries that must agree for a rerun to continue an extraction.
SETTINGS = ('tokenizer_config', 'tokenizer_fingerprint', 'data_config', 'split', 'dataset',
            'views', 'flip', 'store', 'seed', 'dtype', 'shard_size', 'count', 'latent_shape')


def _atomic_write(path: str, write) -> None:
    """``write(f)`` into a staged file renamed to ``path`` (a failed write removes it and
    is a one-line :class:`~vitok_mm.utils.storage.StorageError`)."""
    with staged_file(path, rerun='rerun the same command: finished shards are kept') as partial:
        with open(partial, 'wb') as f:
            write(f)


def _check(views: int, store: str, split: str, dtype: str, shard_size: int,
           batch_size: int) -> None:
    if views < 1:
        raise ValueError(f'views={views}: give at least one view per image.')
    if store not in STORES:
        raise ValueError(f'store={store!r}: choose one of {STORES}.')
    if split not in SPLITS:
        raise ValueError(f'split={split!r}: choose one of {SPLITS} (the data config\'s '
                         '<split>_dataloader).')
    if dtype not in DTYPES:
        raise ValueError(f'dtype={dtype!r}: choose one of {tuple(DTYPES)}.')
    if shard_size < 1 or batch_size < 1:
        raise ValueError(f'shard_size={shard_size} and batch_size={batch_size} must be >= 1.')


def _save_arrays(f, arrays: Dict[str, np.ndarray]) -> None:
    np.savez(f, **arrays)


def _write_manifest(out: str, manifest: dict) -> None:
    text = json.dumps(manifest, indent=2).encode()
    _atomic_write(osp.join(out, MANIFEST_FILE), lambda f: f.write(text))


def _agree_with_existing(out: str, manifest: dict) -> None:
    path = osp.join(out, MANIFEST_FILE)
    if not osp.isfile(path):
        return
    with open(path) as f:
        existing = json.load(f)
    differ = [k for k in SETTINGS if existing.get(k) != manifest.get(k)]
    if differ:
        settings = '; '.join(f'{k}: {existing.get(k)!r} there, {manifest.get(k)!r} now'
                             for k in differ)
        raise ValueError(f'{out} holds a latent cache made with other settings ({settings}). '
                         'Extract into a new --out folder, or delete this one.')


def _finished(path: str, ids: np.ndarray) -> bool:
    """Whether ``path`` is a complete shard of exactly these sample ids."""
    if not osp.isfile(path):
        return False
    try:
        with np.load(path) as shard:
            return np.array_equal(shard['ids'], ids)
    except (OSError, ValueError, KeyError):
        return False


class _Encoder:
    """One shard's samples: dataset views -> the tokenizer's posterior, as arrays."""

    def __init__(self, model, dataset, views: int, flips: int, seed: int, store: str,
                 dtype: str, batch_size: int, device: torch.device):
        from vitok_mm.datasets.seeding import sample_seed
        self.model, self.dataset = model, dataset
        self.views, self.flips, self.seed = views, flips, seed
        self.store, self.dtype, self.batch_size, self.device = store, dtype, batch_size, device
        self.sample_seed = sample_seed

    def view(self, sample_id: int):
        item, rest = divmod(sample_id, self.views * self.flips)
        view, flipped = divmod(rest, self.flips)
        packed = self.dataset[(item, self.sample_seed(self.seed, item * self.views + view))]
        inputs = packed['inputs'].flip(-1) if flipped else packed['inputs']
        meta = getattr(packed.get('data_samples'), 'metainfo', {}) or {}
        return inputs, int(meta.get('label', -1))

    @torch.inference_mode()
    def encode(self, ids: np.ndarray) -> Dict[str, np.ndarray]:
        means: List[np.ndarray] = []
        stds: List[np.ndarray] = []
        labels: List[int] = []
        for start in range(0, len(ids), self.batch_size):
            views = [self.view(int(i)) for i in ids[start:start + self.batch_size]]
            labels += [label for _, label in views]
            pixels = self.model.data_preprocessor(dict(inputs=[v for v, _ in views]),
                                                  False)['inputs'].to(self.device)
            posterior = self.model.encode(pixels)
            means.append(posterior.mode().float().cpu().numpy().astype(DTYPES[self.dtype]))
            if self.store == 'moments':
                stds.append(posterior.std.float().cpu().numpy().astype(DTYPES[self.dtype]))
        mean = np.concatenate(means)
        # Statistics of what is stored (after the cast), over every element per channel.
        values = torch.from_numpy(mean).double().transpose(0, 1).flatten(1)
        arrays = dict(mean=mean, labels=np.asarray(labels, dtype=np.int64), ids=ids,
                      sums=values.sum(1).numpy(), squares=(values ** 2).sum(1).numpy(),
                      count=np.asarray(values.shape[1], dtype=np.int64))
        if self.store == 'moments':
            arrays['std'] = np.concatenate(stds)
        return arrays


def _merge_statistics(out: str, shards: int) -> Dict[str, Any]:
    """Per-channel mean and std over all shards, summed in shard order (so the result does
    not depend on how many processes wrote them)."""
    sums = squares = None
    count = 0
    for index in range(shards):
        with np.load(osp.join(out, shard_name(index))) as shard:
            part_sums, part_squares = shard['sums'], shard['squares']
            count += int(shard['count'])
        sums = part_sums if sums is None else sums + part_sums
        squares = part_squares if squares is None else squares + part_squares
    mean = sums / count
    var = np.maximum(squares / count - mean ** 2, 0.0)
    return dict(mean=torch.from_numpy(mean), std=torch.from_numpy(np.sqrt(var)), count=count)


def extract_latents(tokenizer_config: str, checkpoint: str, data_config: str, out: str,
                    views: int = 1, flip: bool = False, store: str = 'mean',
                    split: str = 'train', seed: int = 0, batch_size: int = 32,
                    shard_size: int = 1024, dtype: str = 'float16',
                    device: Optional[str] = None, cfg_options: Optional[dict] = None,
                    launcher: str = 'none', progress: bool = True) -> Dict[str, Any]:
    """Encode the data config's ``split`` set with a tokenizer into a latent cache at ``out``.

    Args:
        tokenizer_config, checkpoint: the tokenizer (loaded strictly).
        data_config: a config whose ``<split>_dataloader.dataset`` gives the images or
            clips (its pipeline gives the views).
        out: the cache folder.
        views: views of each item (the pipeline's randomness, seeded per view).
        flip: also store each view's horizontal mirror.
        store: ``'mean'`` (the posterior mean) or ``'moments'`` (mean and std).
        dtype: ``'float16'`` (half the disk and memory) or ``'float32'``.
        cfg_options: overrides of the data config (``{'train_dataloader.dataset.data_root':
            ...}``).
        launcher: ``'pytorch'`` under torchrun: each process encodes its share of shards.

    Returns:
        the manifest (what ``manifest.json`` holds).

    Raises:
        ValueError: a bad option, or ``out`` holds a cache made with other settings.
        FileNotFoundError / vitok_mm.utils.CheckpointError: missing config, data or
            checkpoint, or a checkpoint that does not fit the tokenizer.
    """
    _check(views, store, split, dtype, shard_size, batch_size)
    init_distributed(launcher, 'extract_latents')
    rank, world_size = get_dist_info()
    device = local_device(device)
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'tokenizer checkpoint {checkpoint} does not exist.')
    tokenizer_cfg = load_inference_config(tokenizer_config)
    model = build_inference_model(tokenizer_cfg, checkpoint)
    model.to(device)
    data_cfg = load_inference_config(data_config, cfg_options)
    loader_key = f'{split}_dataloader'
    if loader_key not in data_cfg:
        raise ValueError(f'{data_config} has no {loader_key}; choose another --split.')
    from vitok_mm.registry import DATASETS
    dataset = DATASETS.build(data_cfg[loader_key]['dataset'])

    flips = 2 if flip else 1
    count = len(dataset) * views * flips
    shards = math.ceil(count / shard_size)
    first = dataset[(0, 0)]['inputs']
    info = model.latent_info(tuple(first.shape))
    if store == 'moments':
        with torch.inference_mode():
            pixels = model.data_preprocessor(dict(inputs=[first]), False)['inputs']
            if not hasattr(model.encode(pixels.to(device)), 'std'):
                raise ValueError('store=moments needs a Gaussian bottleneck; this '
                                 "tokenizer's posterior has no std. Use store=mean.")
    manifest = dict(
        status='incomplete',
        tokenizer_config=tokenizer_config, tokenizer_checkpoint=checkpoint,
        tokenizer_fingerprint=weights_fingerprint(checkpoint),
        tokenizer_model=tokenizer_cfg.model.to_dict(),
        data_config=data_config, split=split,
        dataset=dict(type=str(data_cfg[loader_key]['dataset'].get('type')), length=len(dataset)),
        pipeline=data_cfg[loader_key]['dataset'].to_dict().get('pipeline'),
        views=views, flip=flip, store=store, seed=seed, dtype=dtype, shard_size=shard_size,
        count=count, shards=shards, input_shape=list(first.shape),
        latent_shape=[info.channels, *info.grid])
    os.makedirs(out, exist_ok=True)
    if rank == 0:
        # One extraction per cache folder: a second one would remove the first's partial
        # shards below and write the same shards (one line naming the holder).
        lock_folder(out, 'latent extraction')
        _agree_with_existing(out, manifest)
        for name in os.listdir(out):  # what a killed run was writing
            if '.partial-' in name:
                os.remove(osp.join(out, name))
        _write_manifest(out, manifest)
    if world_size > 1:
        barrier()

    encoder = _Encoder(model, dataset, views, flips, seed, store, dtype, batch_size, device)
    mine = list(range(rank, shards, world_size))
    bar = ProgressBar(len(mine)) if progress and rank == 0 and mine else None
    for index in mine:
        path = osp.join(out, shard_name(index))
        ids = np.arange(index * shard_size, min((index + 1) * shard_size, count),
                        dtype=np.int64)
        if not _finished(path, ids):
            _atomic_write(path, partial(_save_arrays, arrays=encoder.encode(ids)))
        if bar is not None:
            bar.update()
    if bar is not None:
        print(flush=True)
    if world_size > 1:
        barrier()

    if rank == 0:
        stats = _merge_statistics(out, shards)
        stats['fingerprint'] = manifest['tokenizer_fingerprint']
        _atomic_write(osp.join(out, STATS_FILE), lambda f: torch.save(stats, f))
        manifest.update(status='complete',
                        channel_mean=[round(float(v), 6) for v in stats['mean']],
                        channel_std=[round(float(v), 6) for v in stats['std']])
        _write_manifest(out, manifest)
    if world_size > 1:
        barrier()
    return manifest


__all__ = ['extract_latents']
