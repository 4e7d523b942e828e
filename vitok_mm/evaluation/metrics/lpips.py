"""LPIPS between reconstructions and originals (VGG, the network the loss uses too)."""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from vitok_mm.feature_networks import build_lpips
from vitok_mm.registry import METRICS

from .fid import to_uint8_frames


@METRICS.register_module()
class LPIPSMetric(BaseMetric):
    """Mean LPIPS (VGG) over images (frames for video), on the 8-bit quantized views.

    ``vgg_weights``: ``vgg16-397923af.pth`` or its folder (default: the torch hub cache).
    """

    default_prefix = 'recon'
    feature_network = 'vgg16'  # its weights: vitok_mm.feature_networks.WEIGHT_FILES

    def __init__(self, vgg_weights: Optional[str] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.vgg_weights = vgg_weights
        self._network = None

    @torch.no_grad()
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        pred = torch.cat([to_uint8_frames(s['pred']) for s in data_samples]).float() / 127.5 - 1
        gt = torch.cat([to_uint8_frames(s['gt']) for s in data_samples]).float() / 127.5 - 1
        if self._network is None:
            self._network = build_lpips(self.vgg_weights)
        values = self._network.to(pred.device)(pred, gt).flatten()
        self.results.extend(float(v) for v in values)

    def compute_metrics(self, results: List[float]) -> Dict[str, float]:
        return dict(lpips=sum(results) / len(results))
