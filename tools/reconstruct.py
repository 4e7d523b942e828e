"""Reconstruct images with a tokenizer and write originals over reconstructions.

    python tools/reconstruct.py CONFIG IMAGE [IMAGE ...] [--checkpoint PATH]
        [--size 256] [--out work_dirs/reconstructions.png]

Each image is resized (short side) and center-cropped to ``--size`` (default: the
config's ``input_shape``), encoded to the posterior mean and decoded. Prints the
latent size (E) and each image's PSNR.
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config, DictAction
from PIL import Image

from vitok_mm.registry import MODELS
from vitok_mm.utils import register_all_modules


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('images', nargs='+', help='image files')
    parser.add_argument('--checkpoint', help='model weights (without: random initialisation)')
    parser.add_argument('--size', type=int, help='square crop size (default: config input_shape)')
    parser.add_argument('--out', default='work_dirs/reconstructions.png')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def load_square(path: str, size: int) -> torch.Tensor:
    """An RGB image, short side resized to ``size``, center-cropped: (3, size, size), [-1, 1]."""
    try:
        image = Image.open(path)
        image.load()
    except (OSError, ValueError) as error:
        raise SystemExit(f'Cannot read image {path}: {error}') from error
    image = image.convert('RGB')
    scale = size / min(image.size)
    w, h = max(size, round(image.width * scale)), max(size, round(image.height * scale))
    image = image.resize((w, h), Image.BICUBIC)
    left, top = (w - size) // 2, (h - size) // 2
    image = image.crop((left, top, left + size, top + size))
    pixels = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).float()
    return pixels / 127.5 - 1.0


def main(argv=None) -> int:
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    size = args.size or cfg.get('input_shape', (3, 256, 256))[-1]
    model = MODELS.build(cfg.model).eval()
    if args.checkpoint:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    else:
        print('No --checkpoint: the model has random weights, so the reconstructions are noise.')
    batch = torch.stack([load_square(path, size) for path in args.images])
    with torch.no_grad():
        recon = model.reconstruct(batch).clamp(-1, 1)
    info = model.latent_info(batch.shape)
    print(f'latent: {info.tokens} tokens x {info.channels} channels, E = {info.E}')
    mse = ((recon - batch) / 2).square().flatten(1).mean(1)
    for path, value in zip(args.images, mse):
        print(f'{Path(path).name}: PSNR {10 * torch.log10(1 / value).item():.2f} dB')
    grid = torch.cat([torch.cat(list(batch), dim=2), torch.cat(list(recon), dim=2)], dim=1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    array = ((grid + 1) * 127.5).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()
    Image.fromarray(array).save(out)
    print(f'originals over reconstructions: {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
