"""Throughput and peak memory of a tokenizer as users call it: ``Tokenizer.encode`` and
``Tokenizer.decode`` (padding, batching, autocast, tiles) on square images of each size,
with and without tiling.

Each record: images/s of encode and of decode (median of the timed runs after the warmup
ones; the two alternate so that drifts reach both), and the peak memory of one encode and
one decode call of the batch on top of the loaded model (see :mod:`.memory`).
"""
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import torch

from .device import synchronize
from .memory import MIB, peak_memory


@dataclass
class ApiRecord:
    """One (size, tiling) row of :func:`benchmark_tokenizer_api`."""
    size: int
    tiling: str  # 'untiled' or '<tile>/<overlap>'
    tiles: int  # per image
    batch_size: int
    encode_images_per_s: float
    decode_images_per_s: float
    encode_peak_mib: float
    decode_peak_mib: float

    def as_dict(self) -> dict:
        return asdict(self)


def _seconds(run: Callable[[], object], device: torch.device) -> float:
    synchronize(device)
    start = time.perf_counter()
    run()
    synchronize(device)
    return time.perf_counter() - start


def _calls(tokenizer, images: torch.Tensor) -> Tuple[Callable, Callable]:
    """The two timed calls: encode the images, decode their latents."""
    latents = tokenizer.encode(images)
    return (lambda: tokenizer.encode(images)), (lambda: tokenizer.decode(latents))


def benchmark_tokenizer_api(make_tokenizer: Callable[[Optional[int]], object],
                            sizes: Sequence[int], tile_sizes: Sequence[Optional[int]],
                            batch_size: int, device: torch.device, warmup: int = 1,
                            iters: int = 3, seed: int = 0) -> List[ApiRecord]:
    """Measure ``make_tokenizer(tile_size)`` (``None``: untiled) at each size.

    Args:
        make_tokenizer: builds a :class:`~vitok_mm.apis.Tokenizer` for a tile size
            (sharing one model between them keeps the memory baseline equal).
        sizes: square image sides in pixels.
        tile_sizes: tile sizes to compare, ``None`` for untiled; those no smaller than
            an image are skipped at its size (one tile is the untiled pass).
        batch_size: images per call.
    """
    from vitok_mm.apis.tiling import spatial_tiles
    generator = torch.Generator().manual_seed(seed)
    records = []
    for size in sizes:
        images = torch.rand(batch_size, 3, size, size, generator=generator) * 2 - 1
        for tile_size in tile_sizes:
            if tile_size is not None and tile_size >= size:
                continue  # one tile: the untiled pass again
            tokenizer = make_tokenizer(tile_size)
            encode, decode = _calls(tokenizer, images)
            for _ in range(warmup):
                encode(), decode()
            times = {'encode': [], 'decode': []}
            for _ in range(iters):
                times['encode'].append(_seconds(encode, device))
                times['decode'].append(_seconds(decode, device))
            tiles = 1 if tile_size is None else spatial_tiles(
                (size, size), tile_size, tokenizer.tile_overlap)
            records.append(ApiRecord(
                size=size,
                tiling='untiled' if tile_size is None else f'{tile_size}/{tokenizer.tile_overlap}',
                tiles=tiles, batch_size=batch_size,
                encode_images_per_s=batch_size / statistics.median(times['encode']),
                decode_images_per_s=batch_size / statistics.median(times['decode']),
                encode_peak_mib=peak_memory(encode, device) / MIB,
                decode_peak_mib=peak_memory(decode, device) / MIB))
    return records


__all__ = ['ApiRecord', 'benchmark_tokenizer_api']
