"""A weighted mixture of datasets (the paper: ImageNet 1/8, a larger set 7/8)."""
from typing import List, Optional, Sequence, Union

import numpy as np
from torch.utils.data import Dataset

from vitok_mm.registry import DATASETS

from .seeding import SampleKey, split_key


@DATASETS.register_module()
class WeightedMixDataset(Dataset):
    """Each draw picks a dataset with probability proportional to its weight, then a
    uniformly random item of it.

    Args:
        datasets: configs (or instances) of map-style datasets.
        weights: one non-negative weight per dataset, e.g. ``[1, 7]``.
        data_root: when given, the ``data_root`` of every dataset given as a config (one
            key moves them all, as the quick starts and sweeps do with their data folder).

    The draw is a function of the sample key: with ``(index, seed)`` keys from
    :class:`ResumableInfiniteSampler` the seed decides it, so mixing is repeatable
    across workers and resumes; with a bare index, the index does. ``len()`` is the
    sum of the lengths (one nominal pass).
    """

    def __init__(self, datasets: Sequence[Union[dict, Dataset]], weights: Sequence[float],
                 data_root: Optional[str] = None):
        if len(datasets) != len(weights) or not datasets:
            raise ValueError(
                f'WeightedMixDataset needs one weight per dataset; got {len(datasets)} datasets '
                f'and {len(weights)} weights.')
        probabilities = np.asarray(weights, dtype=np.float64)
        if (probabilities < 0).any() or probabilities.sum() <= 0:
            raise ValueError(f'weights must be non-negative and not all zero, got {list(weights)}.')
        if data_root is not None:
            datasets = [dict(d, data_root=data_root) if isinstance(d, dict) else d
                        for d in datasets]
        self.datasets: List[Dataset] = [
            DATASETS.build(d) if isinstance(d, dict) else d for d in datasets]
        self.probabilities = probabilities / probabilities.sum()
        self.metainfo = dict(weights=list(map(float, weights)))

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)

    def __getitem__(self, key: SampleKey) -> dict:
        index, seed = split_key(key)
        rng = np.random.default_rng([seed if seed is not None else 0, index])
        which = int(rng.choice(len(self.datasets), p=self.probabilities))
        dataset = self.datasets[which]
        inner = int(rng.integers(len(dataset)))
        return dataset[(inner, int(rng.integers(2**32)))] if seed is not None else dataset[inner]
