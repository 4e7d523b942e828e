"""Frechet distance of feature statistics and the Inception Score, as torch-fidelity
computes them, with statistics accumulated in a stream."""
from typing import Optional, Tuple

import numpy as np
import torch


class RunningStatistics:
    """Mean and covariance of a stream of feature vectors, without keeping them.

    Sums are float64. ``merge`` adds another stream (another process's), ``covariance``
    is the unbiased one (``np.cov``'s). Memory: ``dim^2`` floats (32 MB for 2048-d).
    """

    def __init__(self, dim: int):
        self.dim = dim
        self.count = 0
        self.total = torch.zeros(dim, dtype=torch.float64)
        self.outer = torch.zeros(dim, dim, dtype=torch.float64)

    def update(self, features: torch.Tensor) -> None:
        if features.ndim != 2 or features.shape[1] != self.dim:
            raise ValueError(f'expected (N, {self.dim}) features, got {tuple(features.shape)}.')
        features = features.detach().to('cpu', torch.float64)
        self.count += features.shape[0]
        self.total += features.sum(0)
        self.outer += features.T @ features

    def merge(self, other: 'RunningStatistics') -> 'RunningStatistics':
        merged = RunningStatistics(self.dim)
        merged.count = self.count + other.count
        merged.total = self.total + other.total
        merged.outer = self.outer + other.outer
        return merged

    @property
    def mean(self) -> np.ndarray:
        return (self.total / max(self.count, 1)).numpy()

    @property
    def covariance(self) -> np.ndarray:
        if self.count < 2:
            raise ValueError(f'a covariance needs at least 2 samples, got {self.count}.')
        mean = self.total / self.count
        cov = (self.outer - self.count * torch.outer(mean, mean)) / (self.count - 1)
        return cov.numpy()

    def state(self) -> dict:
        return dict(count=self.count, total=self.total, outer=self.outer)

    @classmethod
    def from_state(cls, state: dict) -> 'RunningStatistics':
        stats = cls(state['total'].numel())
        stats.count, stats.total, stats.outer = state['count'], state['total'], state['outer']
        return stats


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                     sigma2: np.ndarray) -> float:
    """``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))``, the trace of the square root
    taken from the eigenvalues of ``S1 S2`` (torch-fidelity's formula)."""
    diff = mu1 - mu2
    eigenvalues = np.linalg.eigvals(sigma1.dot(sigma2)).astype('complex128')
    tr_covmean = np.sum(np.sqrt(eigenvalues).real)
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean)


def inception_score(logits: torch.Tensor, splits: int = 10, shuffle: bool = True,
                    seed: Optional[int] = 2020) -> Tuple[float, float]:
    """Mean and std over ``splits`` of ``exp(E[KL(p(y|x) || p(y))])`` from (N, classes)
    logits; the same shuffle and split as torch-fidelity."""
    if logits.ndim != 2 or logits.shape[0] < splits:
        raise ValueError(f'inception_score needs (N >= {splits}, classes) logits, got '
                         f'{tuple(logits.shape)}.')
    n = logits.shape[0]
    if shuffle:
        logits = logits[np.random.RandomState(seed).permutation(n), :]
    logits = logits.double()
    p, log_p = logits.softmax(dim=1), logits.log_softmax(dim=1)
    scores = []
    for i in range(splits):
        chunk = slice(i * n // splits, (i + 1) * n // splits)
        marginal = p[chunk].mean(dim=0, keepdim=True)
        kl = (p[chunk] * (log_p[chunk] - marginal.log())).sum(dim=1).mean()
        scores.append(kl.exp().item())
    return float(np.mean(scores)), float(np.std(scores))
