"""Per-sample random streams, so that augmentation does not depend on workers or restarts.

A sampler that knows each draw's global position hands the dataset a seed with the
index; the dataset runs its pipeline inside :func:`local_seed`. The augmentation of
a draw is then a function of (run seed, position): the same with 0 or 8 workers, on
1 or 4 processes, and after a resume.
"""
import contextlib
import random
from typing import Iterator, Optional, Tuple, Union

import numpy as np
import torch

SampleKey = Union[int, Tuple[int, int]]


def split_key(key: SampleKey) -> Tuple[int, Optional[int]]:
    """``index`` or ``(index, seed)`` -> ``(index, seed or None)``."""
    if isinstance(key, (tuple, list)):
        return int(key[0]), int(key[1])
    return int(key), None


def sample_seed(run_seed: int, position: int) -> int:
    """A 32-bit seed for the draw at global ``position`` of a run seeded ``run_seed``."""
    return int(np.random.SeedSequence([run_seed % 2**32, position]).generate_state(1)[0])


@contextlib.contextmanager
def local_seed(seed: Optional[int]) -> Iterator[None]:
    """Seed python, numpy and torch for the duration of the block, then restore them."""
    if seed is None:
        yield
        return
    py_state, np_state = random.getstate(), np.random.get_state()
    torch_state = torch.get_rng_state()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_rng_state(torch_state)
