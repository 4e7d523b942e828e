"""Reconstruct images with a tokenizer and write originals over reconstructions.

    python tools/reconstruct.py CONFIG IMAGE [IMAGE ...] [--checkpoint PATH]
        [--size 256] [--out work_dirs/reconstructions.png]

Each image is resized (short side) and center-cropped to ``--size`` (default: the
config's ``input_shape``), as the test pipelines do, encoded to the posterior mean and
decoded. Prints the latent size (E) and each image's PSNR (8-bit quantized, as
``ReconstructionMetric`` computes it).
"""
import argparse
from pathlib import Path

import torch
from mmengine.config import DictAction
from PIL import Image

from vitok_mm.apis import build_inference_model, load_inference_config, reconstruct_images
from vitok_mm.cli import add_debug_argument, run_tool
from vitok_mm.evaluation.functional import psnr
from vitok_mm.evaluation.metrics import to_unit_range


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('images', nargs='+', help='image files')
    parser.add_argument('--checkpoint', help='model weights (without: random initialisation)')
    parser.add_argument('--size', type=int, help='square crop size (default: config input_shape)')
    parser.add_argument('--out', default='work_dirs/reconstructions.png')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_inference_config(args.config, args.cfg_options)
    size = args.size or cfg.get('input_shape', (3, 256, 256))[-1]
    model = build_inference_model(cfg, args.checkpoint)
    if not args.checkpoint:
        print('No --checkpoint: the model has random weights, so the reconstructions are noise.')
    batch, recon = reconstruct_images(model, args.images, size)
    info = model.latent_info(batch.shape)
    print(f'latent: {info.tokens} tokens x {info.channels} channels, E = {info.E}')
    values = psnr(to_unit_range(recon), to_unit_range(batch))
    for path, value in zip(args.images, values):
        print(f'{Path(path).name}: PSNR {value.item():.2f} dB')
    grid = torch.cat([torch.cat(list(batch), dim=2), torch.cat(list(recon), dim=2)], dim=1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    array = ((grid + 1) * 127.5).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()
    Image.fromarray(array).save(out)
    print(f'originals over reconstructions: {out}')
    return 0


if __name__ == '__main__':
    run_tool(main)
