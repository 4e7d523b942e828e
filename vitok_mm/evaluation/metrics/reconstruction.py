"""PSNR and SSIM of reconstructions (and colour shift, blockiness, HF energy), as an
MMEngine metric."""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from vitok_mm.registry import METRICS

from ..functional import blockiness, colour_shift, high_frequency_ratio, psnr, ssim


def to_unit_range(pixels: torch.Tensor, quantize: bool = True) -> torch.Tensor:
    """[-1, 1] pixels -> [0, 1], rounded to 8-bit levels when ``quantize``.

    Quantizing scores reconstructions as they would be saved as 8-bit images, so the
    metric during training equals the one ``eval_pairs.py`` computes from files.
    """
    unit = ((pixels.float() + 1) / 2).clamp(0, 1)
    return (unit * 255).round() / 255 if quantize else unit


def image_scores(pred: torch.Tensor, target: torch.Tensor, metrics: Sequence[str],
                 patch_size: Optional[int] = None) -> Dict[str, torch.Tensor]:
    """Per-image scores of reconstructions ``pred`` of ``target`` (``(N, C, H, W)`` in
    [0, 1]): each of ``metrics`` (see :class:`ReconstructionMetric`) as ``(N,)``, and with
    a colour metric ``'colour_shift_channels'``, the signed shifts ``(N, C)``."""
    values = {}
    if 'psnr' in metrics:
        values['psnr'] = psnr(pred, target).clamp(max=100.0)  # identical images: cap inf
    if 'ssim' in metrics:
        values['ssim'] = ssim(pred, target)
    if 'hf_energy_ratio' in metrics:
        values['hf_energy_ratio'] = high_frequency_ratio(pred, target)
    if 'blockiness' in metrics:
        values['blockiness'] = blockiness(pred, patch_size) / blockiness(target, patch_size)
    if {'colour_shift', 'colour_shift_max'} & set(metrics):
        shift = colour_shift(pred, target)
        values['colour_shift_channels'] = shift
        for key, value in (('colour_shift', shift.abs().mean(1)),
                           ('colour_shift_max', shift.abs().amax(1))):
            if key in metrics:
                values[key] = value
    return values


@METRICS.register_module()
class ReconstructionMetric(BaseMetric):
    """Mean PSNR (dB) and SSIM over the evaluated images; for video, per frame, averaged
    over the frames of each clip, then over clips (how video tokenizers report them).

    Consumes the model's ``predict`` outputs (dicts with ``pred`` and ``gt`` in [-1, 1]).

    Args:
        metrics: which of these to compute (default PSNR and SSIM):
            - ``'psnr'``, ``'ssim'``;
            - ``'hf_energy_ratio'``: the reconstruction's Laplacian energy over the
              original's (above 1: added texture or speckle; below 1: blur);
            - ``'colour_shift'``: the mean over channels of ``|mean(pred - gt)|`` in
              8-bit levels (a colour cast; good tokenizers stay within about 1);
            - ``'colour_shift_max'``: the largest of those per-channel shifts;
            - ``'blockiness'``: the reconstruction's :func:`blockiness` over the
              original's (1: no more patch grid than the original shows; needs
              ``patch_size``).
        quantize: round to 8-bit levels first (default; see :func:`to_unit_range`).
        patch_size: the tokenizer's patch size, for ``'blockiness'``.
        prefix: key prefix in the logs.
    """

    default_prefix = 'recon'
    KNOWN = ('psnr', 'ssim', 'hf_energy_ratio', 'colour_shift', 'colour_shift_max',
             'blockiness')

    def __init__(self, metrics: Sequence[str] = ('psnr', 'ssim'), quantize: bool = True,
                 patch_size: Optional[int] = None, collect_device: str = 'cpu',
                 prefix: str = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        unknown = set(metrics) - set(self.KNOWN)
        if unknown:
            raise ValueError(f'Unknown metrics {sorted(unknown)}; choose from {self.KNOWN}.')
        if 'blockiness' in metrics and not patch_size:
            raise ValueError("the 'blockiness' metric needs the tokenizer's patch_size, e.g. "
                             "ReconstructionMetric(metrics=[..., 'blockiness'], patch_size=8).")
        self.metrics = tuple(metrics)
        self.quantize = quantize
        self.patch_size = patch_size

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        preds = torch.stack([to_unit_range(s['pred'], self.quantize) for s in data_samples])
        gts = torch.stack([to_unit_range(s['gt'], self.quantize) for s in data_samples])
        frames = 1
        if preds.ndim == 5:  # video: score each frame, then average a clip's frames
            frames = preds.shape[2]
            preds, gts = preds.transpose(1, 2).flatten(0, 1), gts.transpose(1, 2).flatten(0, 1)
        values = image_scores(preds, gts, [m for m in self.metrics if 'colour' not in m],
                              self.patch_size)
        values = {k: v.view(-1, frames).mean(1) for k, v in values.items()}
        if {'colour_shift', 'colour_shift_max'} & set(self.metrics):
            # Of each image (a clip's frames together): a cast is a shift of the whole.
            values.update(image_scores(
                preds.unflatten(0, (-1, frames)).transpose(1, 2),
                gts.unflatten(0, (-1, frames)).transpose(1, 2),
                [m for m in self.metrics if 'colour' in m]))
            del values['colour_shift_channels']
        for i in range(len(data_samples)):
            self.results.append({k: float(v[i]) for k, v in values.items()})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        out = {key: sum(r[key] for r in results) / len(results) for key in self.metrics}
        if 'colour_shift_max' in self.metrics:  # the largest over images, not their mean
            out['colour_shift_max'] = max(r['colour_shift_max'] for r in results)
        return out
