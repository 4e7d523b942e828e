"""An infinite sampler that resumes at any global position and seeds every draw."""
import itertools
from typing import Iterator, Optional, Sized

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from vitok_mm.registry import DATA_SAMPLERS

from .seeding import sample_seed


@DATA_SAMPLERS.register_module()
class ResumableInfiniteSampler(Sampler):
    """Endless shuffled passes over a dataset, shared out between processes.

    All processes walk one global stream of draws: pass ``e`` is a permutation of
    the dataset seeded by ``seed + e``, and process ``r`` of ``w`` takes the draws at
    global positions ``r, r + w, r + 2w, ...``. :meth:`set_start` jumps to a global
    position without touching the data, which is how a resumed run continues where it
    stopped. With ``seed_samples`` each index comes with the seed of its position
    (``(index, seed)``), which vitok_mm datasets use to make augmentation repeatable.

    Args:
        dataset: the dataset (only its length is used).
        shuffle: permute each pass (else sequential order).
        seed: run seed; ``None`` draws one and shares it between processes.
        seed_samples: yield ``(index, seed)`` pairs instead of bare indices.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: Optional[int] = None,
                 seed_samples: bool = True):
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.seed_samples = seed_samples
        self.rank, self.world_size = get_dist_info()
        self.start = 0

    def set_start(self, global_position: int) -> None:
        """Continue from this many draws into the global stream (all processes together)."""
        self.start = int(global_position)

    def _pass(self, number: int) -> torch.Tensor:
        size = len(self.dataset)
        if not self.shuffle:
            return torch.arange(size)
        generator = torch.Generator().manual_seed(self.seed + number)
        return torch.randperm(size, generator=generator)

    def __iter__(self) -> Iterator:
        size = len(self.dataset)
        if size == 0:
            raise ValueError('ResumableInfiniteSampler got an empty dataset.')
        # First global position at or after `start` that belongs to this rank.
        first = self.start + (self.rank - self.start) % self.world_size
        pass_number, permutation = None, None
        for position in itertools.count(first, self.world_size):
            number, offset = divmod(position, size)
            if number != pass_number:
                pass_number, permutation = number, self._pass(number)
            index = int(permutation[offset])
            yield (index, sample_seed(self.seed, position)) if self.seed_samples else index

    def __len__(self) -> int:
        # Infinite; MMEngine's iteration-based loop never asks for an epoch length.
        return len(self.dataset)
