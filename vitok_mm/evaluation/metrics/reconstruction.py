"""PSNR and SSIM of reconstructions, as an MMEngine metric."""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric

from vitok_mm.registry import METRICS

from ..functional import high_frequency_ratio, psnr, ssim


def to_unit_range(pixels: torch.Tensor, quantize: bool = True) -> torch.Tensor:
    """[-1, 1] pixels -> [0, 1], rounded to 8-bit levels when ``quantize``.

    Quantizing scores reconstructions as they would be saved as 8-bit images, so the
    metric during training equals the one ``eval_pairs.py`` computes from files.
    """
    unit = ((pixels.float() + 1) / 2).clamp(0, 1)
    return (unit * 255).round() / 255 if quantize else unit


@METRICS.register_module()
class ReconstructionMetric(BaseMetric):
    """Mean PSNR (dB) and SSIM over the evaluated images; for video, per frame, averaged
    over the frames of each clip, then over clips (how video tokenizers report them).

    Consumes the model's ``predict`` outputs (dicts with ``pred`` and ``gt`` in [-1, 1]).

    Args:
        metrics: which of ``'psnr'``, ``'ssim'``, ``'hf_energy_ratio'`` (the
            reconstruction's Laplacian energy over the original's: above 1 means added
            texture or speckle, below 1 blur) to compute.
        quantize: round to 8-bit levels first (default; see :func:`to_unit_range`).
        prefix: key prefix in the logs.
    """

    default_prefix = 'recon'
    KNOWN = ('psnr', 'ssim', 'hf_energy_ratio')

    def __init__(self, metrics: Sequence[str] = ('psnr', 'ssim'), quantize: bool = True,
                 collect_device: str = 'cpu', prefix: str = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        unknown = set(metrics) - set(self.KNOWN)
        if unknown:
            raise ValueError(f'Unknown metrics {sorted(unknown)}; choose from {self.KNOWN}.')
        self.metrics = tuple(metrics)
        self.quantize = quantize

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        preds = torch.stack([to_unit_range(s['pred'], self.quantize) for s in data_samples])
        gts = torch.stack([to_unit_range(s['gt'], self.quantize) for s in data_samples])
        frames = 1
        if preds.ndim == 5:  # video: score each frame, then average a clip's frames
            frames = preds.shape[2]
            preds, gts = preds.transpose(1, 2).flatten(0, 1), gts.transpose(1, 2).flatten(0, 1)
        values = {}
        if 'psnr' in self.metrics:
            values['psnr'] = psnr(preds, gts).clamp(max=100.0)  # identical images: cap inf
        if 'ssim' in self.metrics:
            values['ssim'] = ssim(preds, gts)
        if 'hf_energy_ratio' in self.metrics:
            values['hf_energy_ratio'] = high_frequency_ratio(preds, gts)
        values = {k: v.view(-1, frames).mean(1) for k, v in values.items()}
        for i in range(len(data_samples)):
            self.results.append({k: float(v[i]) for k, v in values.items()})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        return {key: sum(r[key] for r in results) / len(results) for key in self.metrics}
