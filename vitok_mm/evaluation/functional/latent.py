"""Scores of generated latents that need no decoder: a Frechet distance on their principal
directions and a linear class probe; and the memorisation check of decoded samples
(PSNR to the nearest training view)."""
from dataclasses import dataclass
from typing import Optional, Tuple

import torch

from .fid import RunningStatistics, frechet_distance


def _flat(name: str, x: torch.Tensor) -> torch.Tensor:
    if x.ndim < 2:
        raise ValueError(f'{name}: expected (N, D) (or (N, ...), flattened), got '
                         f'{tuple(x.shape)}.')
    return x.detach().reshape(x.shape[0], -1).to('cpu', torch.float64)


def pca_basis(latents: torch.Tensor, k: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Top-``k`` principal directions: ``(N, D)`` -> mean ``(D,)``, components ``(D, k)``.

    float64 SVD of the centred data; components are orthonormal columns by decreasing
    variance, each signed so its largest-magnitude entry is positive (deterministic).

    Raises:
        ValueError: ``k`` is not in ``[1, min(N, D)]``.
    """
    x = _flat('pca_basis', latents)
    n, d = x.shape
    if not 1 <= k <= min(n, d):
        raise ValueError(f'pca_basis: k={k} principal directions of {n} vectors of {d} '
                         f'dimensions; k must be in [1, {min(n, d)}].')
    mean = x.mean(0)
    _, _, vh = torch.linalg.svd(x - mean, full_matrices=False)
    components = vh[:k].T.contiguous()
    signs = components.gather(0, components.abs().argmax(0, keepdim=True)).sign()
    return mean, components * torch.where(signs == 0, 1.0, signs)


def latent_frechet_distance(real: torch.Tensor, fake: torch.Tensor,
                            basis: Optional[Tuple[torch.Tensor, torch.Tensor]] = None) -> float:
    """Frechet distance of flattened latents ``(N, D)`` and ``(M, D)`` (any trailing
    shape is flattened), on ``basis`` = ``(mean (D,), components (D, k))`` when given
    (the coordinates ``(x - mean) @ components``), else on all ``D`` dimensions
    (``D^2`` float64 covariance: project when ``D`` is large).
    """
    real, fake = _flat('real', real), _flat('fake', fake)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f'latent_frechet_distance: real latents have {real.shape[1]} '
                         f'dimensions, fake ones {fake.shape[1]}.')
    if basis is not None:
        mean, components = (b.to(torch.float64) for b in basis)
        if mean.shape != (real.shape[1], ) or components.shape[0] != real.shape[1]:
            raise ValueError(f'latent_frechet_distance: basis of shapes {tuple(mean.shape)}, '
                             f'{tuple(components.shape)} for {real.shape[1]}-d latents.')
        real, fake = (real - mean) @ components, (fake - mean) @ components
    stats = []
    for x in (real, fake):
        s = RunningStatistics(x.shape[1])
        s.update(x)
        stats.append(s)
    return frechet_distance(stats[0].mean, stats[0].covariance, stats[1].mean,
                            stats[1].covariance)


@dataclass
class LinearProbe:
    """A linear classifier on standardized features: ``argmax(((x - mean) / scale) @
    weight + bias)``. ``weight`` ``(D, classes)``, the rest float64 as fitted."""
    mean: torch.Tensor
    scale: torch.Tensor
    weight: torch.Tensor
    bias: torch.Tensor

    def scores(self, features: torch.Tensor) -> torch.Tensor:
        """``(N, D)`` (or ``(N, ...)``) -> class scores ``(N, classes)``."""
        x = _flat('features', features)
        if x.shape[1] != self.mean.numel():
            raise ValueError(f'LinearProbe: fitted on {self.mean.numel()}-d features, got '
                             f'{x.shape[1]}-d ones.')
        return ((x - self.mean) / self.scale) @ self.weight + self.bias

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        """``(N, D)`` -> predicted labels ``(N,)``."""
        return self.scores(features).argmax(1)


def _check_labels(labels: torch.Tensor, n: int, num_classes: int) -> torch.Tensor:
    labels = torch.as_tensor(labels).reshape(-1).long()
    if labels.numel() != n:
        raise ValueError(f'{labels.numel()} labels for {n} feature vectors.')
    if n and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'labels must be in [0, {num_classes}); got [{labels.min().item()}, '
                         f'{labels.max().item()}].')
    return labels


def fit_linear_probe(features: torch.Tensor, labels: torch.Tensor, num_classes: int,
                     l2: float = 1e-3) -> LinearProbe:
    """Ridge regression onto one-hot targets, in closed form (float64, deterministic).

    Features ``(N, D)`` are standardized with their own mean and std; ``weight``
    minimises ``mean_i |x_i W + b - onehot(y_i)|^2 + l2 |W|^2`` (bias not penalised).
    Solved in the primal (``D x D``) when ``D <= N``, else the dual (``N x N``): same
    answer, the smaller system. A least-squares classifier rather than a logistic one:
    no iterations, tolerances or seeds, and what it measures (are the classes linearly
    separable in the generated latents as in the real ones) is the same.

    Raises:
        ValueError: labels outside ``[0, num_classes)``, fewer than 2 vectors or
            ``l2 <= 0``.
    """
    x = _flat('features', features)
    n, d = x.shape
    if n < 2 or l2 <= 0:
        raise ValueError(f'fit_linear_probe: needs >= 2 feature vectors and l2 > 0; got '
                         f'{n} and l2={l2}.')
    labels = _check_labels(labels, n, num_classes)
    mean = x.mean(0)
    scale = x.std(0).clamp(min=1e-12)  # constant dimensions: left at 0 after centring
    x = (x - mean) / scale
    targets = torch.nn.functional.one_hot(labels, num_classes).double()
    bias = targets.mean(0)
    centred = targets - bias  # x is centred: the optimal bias is the target mean
    if d <= n:
        weight = torch.linalg.solve(x.T @ x / n + l2 * torch.eye(d, dtype=x.dtype),
                                    x.T @ centred / n)
    else:
        weight = x.T @ torch.linalg.solve(x @ x.T / n + l2 * torch.eye(n, dtype=x.dtype),
                                          centred / n)
    return LinearProbe(mean, scale, weight, bias)


def probe_accuracy(probe: LinearProbe, features: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``features`` ``(N, D)`` that ``probe`` assigns to ``labels`` ``(N,)``."""
    labels = _check_labels(labels, features.shape[0], probe.weight.shape[1])
    if labels.numel() == 0:
        raise ValueError('probe_accuracy: no feature vectors.')
    return (probe.predict(features) == labels).double().mean().item()


def nearest_view_psnr(samples: torch.Tensor, views: torch.Tensor,
                      chunk_size: int = 256) -> torch.Tensor:
    """PSNR (dB) of each sample to its nearest view in MSE: ``(M, 3, H, W)`` and
    ``(N, 3, H, W)`` in [-1, 1] (or clips ``(., 3, T, H, W)``) -> ``(M,)``.

    The memorisation check: a high value means a sample nearly copies a training view.
    PSNR as :func:`~.psnr` on [0, 1] pixels (``inf`` for an exact copy). Distances are
    taken ``chunk_size x chunk_size`` pairs at a time (float64), so memory stays
    ``O(chunk_size^2 + chunk_size * pixels)`` whatever ``M`` and ``N``.
    """
    if samples.shape[1:] != views.shape[1:] or views.shape[0] == 0:
        raise ValueError(f'nearest_view_psnr: samples {tuple(samples.shape)} and views '
                         f'{tuple(views.shape)} must share their per-image shape (and views '
                         'be non-empty).')
    if chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}.')
    device = samples.device  # views follow the samples, a chunk at a time
    best = torch.full((samples.shape[0], ), float('inf'), dtype=torch.float64, device=device)
    for i in range(0, samples.shape[0], chunk_size):
        # [-1, 1] -> [0, 1]: halve the pixels, so the MSE is a quarter of theirs.
        s = samples[i:i + chunk_size].flatten(1).to(device, torch.float64) / 2
        for j in range(0, views.shape[0], chunk_size):
            v = views[j:j + chunk_size].flatten(1).to(device, torch.float64) / 2
            mse = torch.cdist(s, v, compute_mode='donot_use_mm_for_euclid_dist').square()
            best[i:i + chunk_size] = torch.minimum(best[i:i + chunk_size],
                                                   mse.min(1).values / s.shape[1])
    return 10.0 * torch.log10(1.0 / best)
