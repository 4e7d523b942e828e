"""Frechet distances of reconstructions to their originals: rFID (+ rIS) and rFVD."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from vitok_mm.feature_networks import build_i3d, build_inception
from vitok_mm.registry import METRICS

from ..functional import RunningStatistics, frechet_distance, inception_score
from .reconstruction import to_unit_range


def to_uint8_frames(pixels: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images ``(C, H, W)`` or clips ``(C, T, H, W)`` -> uint8 ``(F, C, H, W)``."""
    pixels = (to_unit_range(pixels) * 255).round().to(torch.uint8)
    return pixels[None] if pixels.ndim == 3 else pixels.transpose(0, 1)


class FrechetMetric(BaseMetric):
    """Shared machinery: features of originals and reconstructions accumulated as running
    mean/covariance (nothing else kept), per-process statistics merged on rank 0, and an
    optional cache of the originals' statistics.

    Subclasses set ``feature_dim`` and ``name`` and implement :meth:`extract`.
    """

    default_prefix = 'recon'
    feature_dim = 0
    name = ''
    unit = 'images'

    def __init__(self, reference_cache: Optional[str] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.reference_cache = reference_cache
        self._network = None
        self._reset()

    def _reset(self) -> None:
        self.real = RunningStatistics(self.feature_dim)
        self.fake = RunningStatistics(self.feature_dim)
        self.logits: List[torch.Tensor] = []
        self.indices: List[int] = []  # dataset index of each logit row, when known
        self._cached_real = None
        if self.reference_cache and osp.isfile(self.reference_cache):
            state = torch.load(self.reference_cache, map_location='cpu', weights_only=True)
            self._cached_real = RunningStatistics.from_state(state)

    def extract(self, pixels: List[torch.Tensor], reconstructions: bool) -> torch.Tensor:
        """Feature vectors ``(F, feature_dim)`` of a batch of [-1, 1] samples."""
        raise NotImplementedError

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        self.indices += [s.get('sample_idx', -1) for s in data_samples]
        self.fake.update(self.extract([s['pred'] for s in data_samples], True))
        if self._cached_real is None:
            self.real.update(self.extract([s['gt'] for s in data_samples], False))

    def evaluate(self, size: int) -> dict:
        # One result per process: its statistics; MMEngine gathers them to rank 0. No
        # real ones when a cache (or, for generation, a reference) stands in for them:
        # an empty feature_dim^2 state per process is not worth gathering.
        self.results = [dict(real=self.real.state() if self.real.count else None,
                             fake=self.fake.state(),
                             logits=torch.cat(self.logits) if self.logits else None,
                             indices=list(self.indices))]
        try:
            return super().evaluate(size)
        finally:
            self._reset()

    def frechet(self, results: List[dict]) -> float:
        fake = RunningStatistics(self.feature_dim)
        real = RunningStatistics(self.feature_dim)
        for result in results:
            fake = fake.merge(RunningStatistics.from_state(result['fake']))
            if result['real'] is not None:
                real = real.merge(RunningStatistics.from_state(result['real']))
        if self._cached_real is not None:
            if self._cached_real.count != fake.count:
                raise ValueError(
                    f'{self.reference_cache} holds statistics of {self._cached_real.count} '
                    f'{self.unit} but {fake.count} were evaluated; delete the cache file.')
            real = self._cached_real
        elif self.reference_cache:
            os.makedirs(osp.dirname(osp.abspath(self.reference_cache)), exist_ok=True)
            torch.save(real.state(), self.reference_cache)
            print_log(f'{type(self).__name__}: reference statistics of {real.count} '
                      f'{self.unit} saved to {self.reference_cache}', logger='current')
        return frechet_distance(real.mean, real.covariance, fake.mean, fake.covariance)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        return {self.name: self.frechet(results)}


@METRICS.register_module()
class FIDMetric(FrechetMetric):
    """Reconstruction FID (``rfid``) and Inception Score of the reconstructions (``ris``).

    Both images of a pair go through the same evaluation view (the test pipeline's
    resize + center crop; the paper: 50k ImageNet-val images at 256p), are quantized to
    8 bits, and are fed to torch-fidelity's InceptionV3, which resizes them to 299 as
    the original TF graph does. Features are accumulated as running mean/covariance
    (no images or features kept, 32 MB per set); only the 1008 logits per
    reconstruction are kept for the IS (4 KB each). Under DDP each process's statistics
    are gathered and merged. Video clips are scored per frame (per-frame rFID).

    Args:
        inception_weights: ``weights-inception-2015-12-05-6726825d.pth`` or its folder
            (default: the torch hub cache). Missing: a clear error naming the file.
        reference_cache: a ``.pth`` file for the originals' statistics: written after
            the first evaluation, then read instead of recomputing them. Delete it when
            the evaluation set changes (its image count is checked).
        compute_is: also compute the Inception Score of the reconstructions.
        is_splits: IS splits (10, as torch-fidelity).
    """

    feature_dim = 2048
    name = 'rfid'
    is_name = 'ris'
    feature_network = 'inception'

    def __init__(self, inception_weights: Optional[str] = None,
                 reference_cache: Optional[str] = None, compute_is: bool = True,
                 is_splits: int = 10, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        self.inception_weights = inception_weights
        self.compute_is = compute_is
        self.is_splits = is_splits
        super().__init__(reference_cache, collect_device, prefix)

    @torch.no_grad()
    def inception(self, frames: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """uint8 ``(F, 3, H, W)`` -> features ``(F, 2048)``, logits ``(F, 1008)``, on
        ``frames``' device (the network is built at the first call)."""
        if self._network is None:
            self._network = build_inception(self.inception_weights)
        return self._network.to(frames.device)(frames)

    def extract(self, pixels: List[torch.Tensor], reconstructions: bool) -> torch.Tensor:
        features, logits = self.inception(torch.cat([to_uint8_frames(p) for p in pixels]))
        if reconstructions and self.compute_is:
            self.logits.append(logits.cpu())
        return features.cpu()

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if self.compute_is:
            parts = [r for r in results if r['logits'] is not None]
            logits = torch.cat([r['logits'] for r in parts])
            indices = [i for r in parts for i in r['indices']]
            if len(indices) == len(logits) and min(indices) >= 0:
                # Dataset order, as one process sees it: the IS splits do not depend on
                # how samples were shared out between processes.
                logits = logits[torch.as_tensor(indices).argsort()]
            metrics[self.is_name] = inception_score(logits, self.is_splits)[0]
        return metrics


@METRICS.register_module()
class FVDMetric(FrechetMetric):
    """Reconstruction FVD (``rfvd``): the Frechet distance of Kinetics-400 I3D logits of
    reconstructed and original clips, as the common FVD protocol computes it (clips
    resized to 224x224, pixels in [-1, 1]; the paper: 16x128x128 UCF-101 clips).

    Args:
        i3d_weights: StyleGAN-V's TorchScript ``i3d_torchscript.pt`` or a state dict of
            :class:`~vitok_mm.feature_networks.InceptionI3d` (required).
        reference_cache: as for :class:`FIDMetric`.
    """

    feature_dim = 400
    name = 'rfvd'
    feature_network = 'i3d'
    unit = 'clips'

    def __init__(self, i3d_weights: Optional[str] = None, reference_cache: Optional[str] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        self.i3d_weights = i3d_weights
        super().__init__(reference_cache, collect_device, prefix)

    @torch.no_grad()
    def extract(self, pixels: List[torch.Tensor], reconstructions: bool) -> torch.Tensor:
        if pixels[0].ndim != 4:
            raise ValueError(f'FVDMetric scores clips (C, T, H, W); got {tuple(pixels[0].shape)}.')
        clips = torch.stack([to_uint8_frames(p).permute(0, 2, 3, 1) for p in pixels])
        if self._network is None:
            self._network = build_i3d(self.i3d_weights)
        return self._network.to(clips.device)(clips).cpu()
