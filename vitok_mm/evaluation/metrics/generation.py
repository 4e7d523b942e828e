"""Scores of a generator's samples: gFID / gIS and gFVD of decoded samples against fixed
reference statistics, and, without a decoder, a Frechet distance and a linear class
probe on the latents themselves.

They consume a latent generator's ``predict`` outputs: dicts with ``latents`` (generated,
``(c, [t,] h, w)``), ``real_latents`` (the batch's dataset latents, same shape and
space), ``gt_label`` (the class a sample was conditioned on) and, when the model can
decode, ``pixels`` (``(3, H, W)`` or ``(3, T, H, W)`` in [-1, 1]).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from vitok_mm.feature_networks import WEIGHT_FILES, find_weight_file
from vitok_mm.registry import METRICS
from vitok_mm.utils.samples_npz import check_samples_npz, iter_sample_batches, npz_array_header

from ..functional import (
    RunningStatistics,
    fit_linear_probe,
    frechet_distance,
    latent_frechet_distance,
    pca_basis,
    probe_accuracy,
)
from .fid import FIDMetric, FVDMetric

#: How a reference for gFID can be given, for error messages.
REFERENCE_FORMS = (
    "an ADM reference batch (.npz with 'mu' and 'sigma', e.g. openai/guided-diffusion's "
    "VIRTUAL_imagenet256_labeled.npz; the names 'adm_imagenet256' and 'adm_imagenet512' "
    'fetch those of ImageNet 256 and 512 on first use), real images as a samples.npz (arr_0 uint8 '
    '(N, H, W, 3), written with vitok_mm.utils.samples_npz.write_samples_npz; their '
    'statistics are computed once and cached), or a .pth RunningStatistics state (what '
    "FIDMetric's reference_cache writes)")
REFERENCE_FORMS_VIDEO = (
    "an .npz with 'mu' and 'sigma' of I3D features, or a .pth RunningStatistics state "
    "(what FVDMetric's reference_cache writes)")


def known_reference(reference: Optional[str]) -> Optional[str]:
    """The file of a published reference batch named by its key in
    :data:`~vitok_mm.feature_networks.WEIGHT_FILES` (``'adm_imagenet256'``) or its file name
    (``'VIRTUAL_imagenet256_labeled.npz'``), downloaded on first use; any other
    ``reference`` (a path) as it is."""
    if not reference or osp.isfile(reference):
        return reference
    for key, entry in WEIGHT_FILES.items():
        if entry.config_key == 'reference' and reference in (key, entry.filename):
            return find_weight_file(key)
    return reference


def _pixels(metric: BaseMetric, data_samples: Sequence[dict]) -> List[torch.Tensor]:
    if any('pixels' not in s for s in data_samples):
        raise ValueError(f"{type(metric).__name__} scores decoded samples ('pixels'), which "
                         'a generator without a tokenizer does not give; score its latents '
                         'with LatentFrechetMetric and LatentProbeMetric instead.')
    return [s['pixels'] for s in data_samples]


class AgainstReferenceMixin:
    """Generated samples' features, accumulated by a :class:`FrechetMetric`, compared with
    fixed reference statistics (of another number of images) instead of paired
    originals. Mixed in before the :class:`FrechetMetric` whose features it uses."""

    reference_forms = REFERENCE_FORMS
    reads_images = False  # True: a reference may be images, scored with extract's network

    def _init_reference(self, reference: str, reference_cache: Optional[str]) -> None:
        reference = known_reference(reference)
        if not reference or not osp.isfile(reference):
            raise ValueError(f'{type(self).__name__}: the reference statistics file '
                             f'{reference!r} does not exist. Give {self.reference_forms}.')
        if osp.splitext(reference)[1] not in ('.npz', '.pth'):
            raise ValueError(f'{type(self).__name__}: reference {reference} is neither .npz '
                             f'nor .pth. Give {self.reference_forms}.')
        self.reference = reference
        self.statistics_cache = reference_cache
        self._reference: Optional[Tuple[np.ndarray, np.ndarray]] = None
        self._device = torch.device('cpu')
        # Read (and so check) the statistics now, not after the first validation's
        # sampling; only those of images wait for the Inception and the samples' device.
        statistics = reference.endswith('.pth') or npz_array_header(reference, 'mu') is not None
        if statistics or not self.reads_images:
            self.reference_statistics()
        else:
            check_samples_npz(reference)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        pixels = _pixels(self, data_samples)
        self._device = pixels[0].device  # where the reference images are scored, if any
        self.indices += [s.get('sample_idx', -1) for s in data_samples]
        self.fake.update(self.extract(pixels, True))

    def reference_statistics(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(mu (feature_dim,), sigma (feature_dim, feature_dim))`` of the reference,
        read (or computed) once."""
        if self._reference is None:
            self._reference = self._read_reference()
            mu, sigma = self._reference
            if mu.shape != (self.feature_dim, ) or sigma.shape != (self.feature_dim, ) * 2:
                raise ValueError(f'{self.reference}: statistics of shapes {mu.shape}, '
                                 f'{sigma.shape}; {type(self).__name__} needs '
                                 f'{self.feature_dim}-d features.')
        return self._reference

    def _read_reference(self) -> Tuple[np.ndarray, np.ndarray]:
        if self.reference.endswith('.pth'):
            state = torch.load(self.reference, map_location='cpu', weights_only=True)
            if not {'count', 'total', 'outer'} <= set(state):
                raise ValueError(f'{self.reference} is not a RunningStatistics state '
                                 f'(count, total, outer). Give {self.reference_forms}.')
            stats = RunningStatistics.from_state(state)
            return stats.mean, stats.covariance
        with np.load(self.reference) as arrays:
            if 'mu' in arrays.files and 'sigma' in arrays.files:  # ADM's: images ignored
                return arrays['mu'].astype(np.float64), arrays['sigma'].astype(np.float64)
        return self.statistics_of_images(self.reference)

    def statistics_of_images(self, path: str) -> Tuple[np.ndarray, np.ndarray]:
        raise ValueError(f"{path} has no 'mu' and 'sigma'. Give {self.reference_forms}.")

    def frechet(self, results: List[dict]) -> float:
        fake = RunningStatistics(self.feature_dim)
        for result in results:
            fake = fake.merge(RunningStatistics.from_state(result['fake']))
        mu, sigma = self.reference_statistics()
        return frechet_distance(mu, sigma, fake.mean, fake.covariance)


@METRICS.register_module()
class GenerationFIDMetric(AgainstReferenceMixin, FIDMetric):
    """gFID (``gfid``) and Inception Score (``gis``) of generated images ``'pixels'``
    against reference statistics, e.g. ADM's of ImageNet (the count may differ from the
    number of samples: the usual 50k samples vs 10k reference images).

    Same protocol as :class:`FIDMetric`: 8-bit quantisation, torch-fidelity's
    InceptionV3 (299 resize inside), running statistics merged across processes, IS on
    the logits in sample order.

    Args:
        reference: ``.npz`` with ``mu`` / ``sigma`` (an ADM reference batch: its images
            are ignored), ``.npz`` with only real images ``arr_0`` uint8 ``(N, H, W, 3)``
            (their statistics computed with the same Inception at the first evaluation,
            on the samples' device, and cached), or a ``.pth`` RunningStatistics state.
        inception_weights: as for :class:`FIDMetric`.
        reference_cache: where the statistics of a reference of images are cached
            (default ``<reference without .npz>.inception_stats.pth``); the cache is
            recomputed when the reference file or the Inception weights file changes.
        compute_is, is_splits: as for :class:`FIDMetric`.
        batch_size: reference images per Inception call.

    Raises:
        ValueError: the reference file is missing (saying what to give).
    """

    default_prefix = 'gen'
    name = 'gfid'
    is_name = 'gis'
    reads_images = True

    def __init__(self, reference: str, inception_weights: Optional[str] = None,
                 reference_cache: Optional[str] = None, compute_is: bool = True,
                 is_splits: int = 10, batch_size: int = 50, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(inception_weights, None, compute_is, is_splits, collect_device, prefix)
        self._init_reference(reference, reference_cache)
        self.batch_size = batch_size

    def _cache_key(self, path: str) -> dict:
        info = os.stat(path)
        return dict(source=osp.basename(path), source_size=info.st_size,
                    source_mtime_ns=info.st_mtime_ns,
                    weights=osp.basename(find_weight_file('inception', self.inception_weights)))

    def statistics_of_images(self, path: str) -> Tuple[np.ndarray, np.ndarray]:
        cache = self.statistics_cache or osp.splitext(path)[0] + '.inception_stats.pth'
        key = self._cache_key(path)
        if osp.isfile(cache):
            state = torch.load(cache, map_location='cpu', weights_only=True)
            if state.get('key') == key:
                stats = RunningStatistics.from_state(state)
                return stats.mean, stats.covariance
            print_log(f'{type(self).__name__}: {cache} was computed from another {path} or '
                      'Inception; recomputing it.', logger='current')
        stats = RunningStatistics(self.feature_dim)
        for images in iter_sample_batches(path, self.batch_size):
            frames = torch.from_numpy(images).permute(0, 3, 1, 2).to(self._device)
            stats.update(self.inception(frames)[0])
        partial = f'{cache}.partial-{os.getpid()}'
        torch.save(dict(stats.state(), key=key), partial)
        os.replace(partial, cache)
        print_log(f'{type(self).__name__}: statistics of the {stats.count} reference images '
                  f'of {path} saved to {cache}', logger='current')
        return stats.mean, stats.covariance


@METRICS.register_module()
class GenerationFVDMetric(AgainstReferenceMixin, FVDMetric):
    """gFVD (``gfvd``): I3D statistics of generated clips ``'pixels'`` ``(3, T, H, W)``
    against reference statistics, as :class:`FVDMetric` computes them.

    Args:
        reference: ``.pth`` RunningStatistics state or ``.npz`` with ``mu`` / ``sigma``
            (400-d I3D logits statistics of real clips).
        i3d_weights: as for :class:`FVDMetric`.

    Raises:
        ValueError: the reference file is missing (saying what to give).
    """

    default_prefix = 'gen'
    name = 'gfvd'
    reference_forms = REFERENCE_FORMS_VIDEO

    def __init__(self, reference: str, i3d_weights: Optional[str] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(i3d_weights, None, collect_device, prefix)
        self._init_reference(reference, None)


def _latent_pairs(metric: BaseMetric, data_samples: Sequence[dict]) -> List[dict]:
    if any('latents' not in s or 'real_latents' not in s for s in data_samples):
        raise ValueError(f"{type(metric).__name__} needs 'latents' and 'real_latents' in "
                         'the predictions (a latent generator gives both).')
    return [dict(fake=s['latents'].detach().flatten().float().cpu(),
                 real=s['real_latents'].detach().flatten().float().cpu(),
                 label=int(s.get('gt_label', -1))) for s in data_samples]


@METRICS.register_module()
class LatentFrechetMetric(BaseMetric):
    """Frechet distance (``latent_fd``) of generated ``'latents'`` to ``'real_latents'``,
    flattened ``(c, [t,] h, w) -> (D,)`` and projected on the top principal directions of
    the real latents: a decoder-free proxy of gFID, cheap enough for every validation.

    Every process keeps its samples' two flattened latents (``2 D`` floats each); they
    are gathered on rank 0 by MMEngine.

    Args:
        num_components: principal directions kept (64); fewer when the evaluation has
            fewer samples or dimensions (with a warning). None: all ``D`` dimensions.
        reference: a ``.pth`` with ``mean`` ``(D,)`` and ``components`` ``(D, k)`` (see
            :func:`~vitok_mm.evaluation.functional.pca_basis`), e.g. computed once on a
            latent cache, so that every evaluation uses the same directions; its first
            ``num_components`` columns are used. Default: the PCA of the evaluation's
            own real latents.
    """

    default_prefix = 'gen'

    def __init__(self, num_components: Optional[int] = 64, reference: Optional[str] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if num_components is not None and num_components < 1:
            raise ValueError(f'num_components must be >= 1 or None, got {num_components}.')
        self.num_components = num_components
        self.basis = None
        if reference is not None:
            self.basis = self._load_basis(reference)

    def _load_basis(self, path: str) -> Tuple[torch.Tensor, torch.Tensor]:
        how = ("a .pth of dict(mean=(D,), components=(D, k)), e.g. "
               "dict(zip(('mean', 'components'), pca_basis(real_latents, 64)))")
        if not osp.isfile(path):
            raise ValueError(f'LatentFrechetMetric: the basis file {path} does not exist; '
                             f'save {how}.')
        state = torch.load(path, map_location='cpu', weights_only=True)
        mean, components = state.get('mean'), state.get('components')
        if mean is None or components is None or mean.ndim != 1 or components.ndim != 2 \
                or components.shape[0] != mean.shape[0]:
            raise ValueError(f'LatentFrechetMetric: {path} is not {how}.')
        if self.num_components is not None:
            components = components[:, :self.num_components]
        return mean.double(), components.double()

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        self.results += [dict(fake=p['fake'], real=p['real'])
                         for p in _latent_pairs(self, data_samples)]

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        real = torch.stack([r['real'] for r in results])
        fake = torch.stack([r['fake'] for r in results])
        basis = self.basis
        if basis is None and self.num_components is not None:
            k = min(self.num_components, *real.shape)
            if k < self.num_components:
                print_log(f'LatentFrechetMetric: {real.shape[0]} samples of {real.shape[1]} '
                          f'dimensions: {k} principal directions instead of '
                          f'{self.num_components}.', logger='current', level=30)
            basis = pca_basis(real, k)
        return dict(latent_fd=latent_frechet_distance(real, fake, basis))


@METRICS.register_module()
class LatentProbeMetric(BaseMetric):
    """Class-conditional fidelity without a decoder (``probe_acc``): a linear probe
    (:func:`~vitok_mm.evaluation.functional.fit_linear_probe`) fitted on the
    ``'real_latents'`` and their ``gt_label`` classifies the generated ``'latents'``; the
    accuracy is the fraction assigned to the class they were conditioned on.

    Args:
        num_classes: classes of the probe (default: the largest label + 1).
        l2: the probe's ridge penalty on standardized latents.
    """

    default_prefix = 'gen'

    def __init__(self, num_classes: Optional[int] = None, l2: float = 1e-3,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if l2 <= 0:
            raise ValueError(f'l2 must be > 0, got {l2}.')
        self.num_classes = num_classes
        self.l2 = l2

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        pairs = _latent_pairs(self, data_samples)
        if any(p['label'] < 0 for p in pairs):
            raise ValueError("LatentProbeMetric needs each sample's 'gt_label'.")
        self.results += pairs

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        labels = torch.tensor([r['label'] for r in results])
        num_classes = self.num_classes or int(labels.max()) + 1
        probe = fit_linear_probe(torch.stack([r['real'] for r in results]), labels,
                                 num_classes, self.l2)
        return dict(probe_acc=probe_accuracy(probe, torch.stack([r['fake'] for r in results]),
                                             labels))
