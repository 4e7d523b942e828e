"""The on-disk layout of a latent cache, shared by its writer and its readers.

A cache folder (written by ``tools/extract_latents.py`` / ``vitok_mm.apis.extract_latents``)::

    manifest.json      what was encoded, by which tokenizer, how; "complete" when done
    stats.pth          per-channel mean and std (float64) over every latent element
    shard_00000.npz    ``mean`` (n, c, [t,] h, w), ``std`` (with store='moments'),
    shard_00001.npz    ``labels`` (n,), ``ids`` (n,): global sample ids, and the shard's
    ...                per-channel ``sums`` / ``squares`` / ``count`` (float64)

The tokenizer is identified by its fingerprint, the SHA-256 of its checkpoint file;
a generator keeps it (with the statistics) in its checkpoints.
"""
import json
import os.path as osp
from typing import Any, Dict

MANIFEST_FILE = 'manifest.json'
STATS_FILE = 'stats.pth'
EXTRACT_COMMAND = 'python tools/extract_latents.py TOKENIZER_CONFIG CHECKPOINT --data-config ' \
                  'CFG --out DIR'


def shard_name(index: int) -> str:
    return f'shard_{index:05d}.npz'


def read_manifest(cache_dir: str, complete: bool = True) -> Dict[str, Any]:
    """The cache's manifest.

    Raises:
        FileNotFoundError: no manifest in ``cache_dir``; the message says how to make one.
        ValueError: ``complete`` and the extraction that wrote it did not finish.
    """
    path = osp.join(cache_dir, MANIFEST_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} does not exist: {cache_dir!r} is not a latent cache. Make one with '
            f'{EXTRACT_COMMAND}.')
    with open(path) as f:
        manifest = json.load(f)
    if complete and manifest.get('status') != 'complete':
        raise ValueError(
            f'{path}: the extraction into {cache_dir} did not finish; run the same '
            'tools/extract_latents.py command again (finished shards are kept).')
    return manifest


def read_stats(cache_dir: str) -> Dict[str, Any]:
    """``stats.pth``: ``mean``, ``std`` (float64 ``(c,)``), ``count`` (elements per
    channel) and the tokenizer ``fingerprint``.

    Raises:
        FileNotFoundError: the file is missing; the message names it and the fix.
    """
    from .checkpoint import load_checkpoint
    path = osp.join(cache_dir, STATS_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} does not exist: the latent cache {cache_dir!r} is missing or '
            f'unfinished. Make it with {EXTRACT_COMMAND}.')
    return load_checkpoint(path)
