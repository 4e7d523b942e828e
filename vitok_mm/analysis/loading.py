"""Memory of loading a released tokenizer: random weights in a release's layout, and the
peak resident set of ``Tokenizer.from_pretrained`` plus one reconstruction.

The weights are random (memory and speed do not depend on their values); the files
have the release's names, shapes and file layout, so download, verification, conversion
and loading do exactly what they do with the real ones.
"""
import os
import os.path as osp
import time
from typing import Any, Callable, Dict, Tuple

import torch

from vitok_mm.models.vitok_v2 import RELEASE_FILES, parse_v2_variant, v2_shapes
from vitok_mm.utils.safetensors_io import SafetensorsWriter

from .memory import _status_kib

GIB = 2 ** 30


def write_random_release(variant: str, folder: str, dtype: torch.dtype = torch.float32,
                         seed: int = 0) -> Tuple[str, str]:
    """``encoder.safetensors`` and ``decoder.safetensors`` of ``variant`` (a release name
    such as ``5B-f16x16``) with random weights, written tensor by tensor (memory: one
    tensor); kept when already there. Returns their paths."""
    os.makedirs(folder, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    paths = []
    for filename, shapes in zip(RELEASE_FILES, v2_shapes(parse_v2_variant(variant))):
        path = osp.join(folder, filename)
        paths.append(path)
        if osp.isfile(path):
            continue
        with SafetensorsWriter(path, [(k, dtype, s) for k, s in shapes.items()]) as writer:
            for key, shape in shapes.items():
                writer.write(key, (torch.randn(shape, generator=generator) * 0.02).to(dtype))
    return paths[0], paths[1]


def measure_load(load: Callable[[], Any], pixels: torch.Tensor) -> Dict[str, float]:
    """Run ``tokenizer = load()`` then ``tokenizer.reconstruct(pixels)`` in this process.

    Returns the seconds of each, the bytes of the model's weights and the process's
    resident set in bytes: before loading, after it, and its peak (``VmHWM``, over the
    process's whole life: run it in a fresh process whose only work this is).
    """
    before = _status_kib('VmRSS') * 1024
    start = time.perf_counter()
    tokenizer = load()
    loaded = time.perf_counter()
    model = tokenizer.model
    weights = sum(t.numel() * t.element_size() for t in
                  list(model.parameters()) + list(model.buffers()))
    after_load = _status_kib('VmRSS') * 1024
    out = tokenizer.reconstruct(pixels)
    done = time.perf_counter()
    return dict(load_seconds=loaded - start, reconstruct_seconds=done - loaded,
                weight_bytes=weights, parameters=sum(p.numel() for p in model.parameters()),
                rss_before=before, rss_after_load=after_load,
                peak_rss=_status_kib('VmHWM') * 1024, finite=bool(torch.isfinite(out).all()))


__all__ = ['GIB', 'measure_load', 'write_random_release']
