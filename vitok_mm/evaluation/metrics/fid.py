"""rFID and rIS of reconstructions against their originals (InceptionV3 features)."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from vitok_mm.registry import METRICS

from ..functional import RunningStatistics, frechet_distance, inception_score
from ..inception import build_inception
from .reconstruction import to_unit_range

FEATURE_DIM = 2048


def to_uint8_frames(pixels: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images ``(C, H, W)`` or clips ``(C, T, H, W)`` -> uint8 ``(F, C, H, W)``."""
    pixels = (to_unit_range(pixels) * 255).round().to(torch.uint8)
    return pixels[None] if pixels.ndim == 3 else pixels.transpose(0, 1)


@METRICS.register_module()
class FIDMetric(BaseMetric):
    """Reconstruction FID (``rfid``) and Inception Score of the reconstructions (``ris``).

    Both images of a pair go through the same evaluation view (the test pipeline's
    resize + center crop; the paper: 50k ImageNet-val images at 256p), are quantized to
    8 bits, and are fed to torch-fidelity's InceptionV3, which resizes them to 299 as
    the original TF graph does. Features are accumulated as running mean/covariance
    (no images or features kept, 32 MB per set); only the 1008 logits per
    reconstruction are kept for the IS (4 KB each). Under DDP each process's statistics
    are gathered and merged. Video clips are scored per frame.

    Args:
        inception_weights: ``weights-inception-2015-12-05-6726825d.pth`` or its folder
            (default: the torch hub cache). Missing: a clear error naming the file.
        reference_cache: a ``.pth`` file for the originals' statistics: written after
            the first evaluation, then read instead of recomputing them. Delete it when
            the evaluation set changes (its image count is checked).
        compute_is: also compute the Inception Score of the reconstructions.
        is_splits: IS splits (10, as torch-fidelity).
    """

    default_prefix = 'recon'

    def __init__(self, inception_weights: Optional[str] = None,
                 reference_cache: Optional[str] = None, compute_is: bool = True,
                 is_splits: int = 10, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.inception_weights = inception_weights
        self.reference_cache = reference_cache
        self.compute_is = compute_is
        self.is_splits = is_splits
        self._network = None
        self._reset()

    def _reset(self) -> None:
        self.real = RunningStatistics(FEATURE_DIM)
        self.fake = RunningStatistics(FEATURE_DIM)
        self.logits: List[torch.Tensor] = []
        self._cached_real = self._load_cache()

    def _load_cache(self) -> Optional[RunningStatistics]:
        if self.reference_cache and osp.isfile(self.reference_cache):
            state = torch.load(self.reference_cache, map_location='cpu', weights_only=True)
            return RunningStatistics.from_state(state)
        return None

    def network(self, device: torch.device):
        if self._network is None:
            self._network = build_inception(self.inception_weights)
        return self._network.to(device)

    @torch.no_grad()
    def features(self, frames: torch.Tensor):
        """uint8 ``(N, 3, H, W)`` -> (2048-d features, logits), float32 on the CPU."""
        features, logits = self.network(frames.device)(frames)
        return features.cpu(), logits.cpu()

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        fake = torch.cat([to_uint8_frames(s['pred']) for s in data_samples])
        fake_features, fake_logits = self.features(fake)
        self.fake.update(fake_features)
        if self.compute_is:
            self.logits.append(fake_logits)
        if self._cached_real is None:
            real = torch.cat([to_uint8_frames(s['gt']) for s in data_samples])
            self.real.update(self.features(real)[0])

    def evaluate(self, size: int) -> dict:
        # One result per process: its statistics; MMEngine gathers them to rank 0.
        self.results = [dict(real=self.real.state(), fake=self.fake.state(),
                             logits=torch.cat(self.logits) if self.logits else None)]
        try:
            return super().evaluate(size)
        finally:
            self._reset()

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        fake = RunningStatistics(FEATURE_DIM)
        real = RunningStatistics(FEATURE_DIM)
        for result in results:
            fake = fake.merge(RunningStatistics.from_state(result['fake']))
            real = real.merge(RunningStatistics.from_state(result['real']))
        if self._cached_real is not None:
            if self._cached_real.count != fake.count:
                raise ValueError(
                    f'{self.reference_cache} holds statistics of {self._cached_real.count} '
                    f'images but {fake.count} were evaluated; delete the cache file.')
            real = self._cached_real
        elif self.reference_cache:
            os.makedirs(osp.dirname(osp.abspath(self.reference_cache)), exist_ok=True)
            torch.save(real.state(), self.reference_cache)
            print_log(f'FIDMetric: reference statistics of {real.count} images saved to '
                      f'{self.reference_cache}', logger='current')
        metrics = dict(rfid=frechet_distance(real.mean, real.covariance, fake.mean,
                                             fake.covariance))
        if self.compute_is:
            logits = torch.cat([r['logits'] for r in results if r['logits'] is not None])
            metrics['ris'] = inception_score(logits, self.is_splits)[0]
        return metrics
