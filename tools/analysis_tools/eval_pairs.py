"""Score reconstructions against originals from two folders: PSNR, SSIM, LPIPS, rFID, rIS.

    python tools/analysis_tools/eval_pairs.py GT_DIR RECON_DIR [--inception-weights PATH]
        [--lpips-weights PATH] [--out FILE.json] [--device cpu|cuda] [--batch-size 32]

Images are paired by relative path without extension (``a/b.jpg`` with ``a/b.png``),
compared as they are (8-bit RGB, no resizing), and scored with the same code as the
training-time metrics. PSNR and SSIM are always computed; LPIPS needs
``vgg16-397923af.pth`` and rFID/rIS need ``weights-inception-2015-12-05-6726825d.pth``
(the torch hub cache or the options above); without them they are skipped and the
reason is printed. Works for any tokenizer's outputs, ours or not.
"""
import argparse
import json
import os
import os.path as osp
import sys

import torch

from vitok_mm.cli import add_debug_argument, run_tool
from vitok_mm.feature_networks import INCEPTION_FILE, VGG16_FILE
from vitok_mm.utils.table import format_table
from vitok_mm.workflows import SCORE_KEYS, score_folders


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('gt_dir', help='folder of original images')
    parser.add_argument('recon_dir', help='folder of reconstructions, same relative names')
    parser.add_argument('--inception-weights', help=f'{INCEPTION_FILE} or its folder')
    parser.add_argument('--lpips-weights', help=f'{VGG16_FILE} or its folder')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch-size', type=int, default=32)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def progress(done: int, total: int, seconds: float) -> None:
    rate = done / max(seconds, 1e-9)
    eta = (total - done) / max(rate, 1e-9)
    print(f'\r{done}/{total} pairs  {rate:.1f} pairs/s  ETA {eta:.0f}s',
          end='\n' if done == total else '', file=sys.stderr, flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    results = score_folders(args.gt_dir, args.recon_dir, args.inception_weights,
                            args.lpips_weights, args.device, args.batch_size, progress)
    for key, reason in results['skipped'].items():
        print(f'{key}: skipped: {reason}', file=sys.stderr)
    print(format_table(('metric', 'value'), [
        (key, 'skipped' if results[key] is None else f'{results[key]:.4f}')
        for key in SCORE_KEYS]))
    print(f"{results['num_images']} image pairs")
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'results: {args.out}')
    return 0


if __name__ == '__main__':
    run_tool(main)
