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
import time
from typing import Dict, List, Optional, Tuple

import torch

from vitok_mm.datasets import CorruptSampleError, find_images
from vitok_mm.datasets.transforms import LoadImage
from vitok_mm.evaluation import FIDMetric, LPIPSMetric, ReconstructionMetric
from vitok_mm.feature_networks import INCEPTION_FILE, VGG16_FILE
from vitok_mm.utils.weights import find_weights

KEYS = ('psnr', 'ssim', 'lpips', 'rfid', 'ris')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('gt_dir', help='folder of original images')
    parser.add_argument('recon_dir', help='folder of reconstructions, same relative names')
    parser.add_argument('--inception-weights', help=f'{INCEPTION_FILE} or its folder')
    parser.add_argument('--lpips-weights', help=f'{VGG16_FILE} or its folder')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch-size', type=int, default=32)
    return parser.parse_args(argv)


def pair_files(gt_dir: str, recon_dir: str) -> List[Tuple[str, str]]:
    """``(gt, recon)`` paths paired by relative path without extension.

    Raises:
        ValueError: listing unpaired or ambiguous names.
    """
    def index(folder: str) -> Dict[str, str]:
        if not osp.isdir(folder):
            raise ValueError(f'{folder} is not a folder.')
        found: Dict[str, List[str]] = {}
        for relative in find_images(folder):
            found.setdefault(osp.splitext(relative)[0], []).append(relative)
        ambiguous = {k: v for k, v in found.items() if len(v) > 1}
        if ambiguous:
            raise ValueError(f'{folder}: several files share a name: {ambiguous}')
        if not found:
            raise ValueError(f'{folder}: no images found.')
        return {k: osp.join(folder, v[0]) for k, v in found.items()}

    gt, recon = index(gt_dir), index(recon_dir)
    missing_recon, missing_gt = sorted(set(gt) - set(recon)), sorted(set(recon) - set(gt))
    if missing_recon or missing_gt:
        lines = [f'{len(missing_recon)} originals have no reconstruction: {missing_recon[:10]}'
                 if missing_recon else '',
                 f'{len(missing_gt)} reconstructions have no original: {missing_gt[:10]}'
                 if missing_gt else '']
        raise ValueError('unpaired images. ' + ' '.join(line for line in lines if line))
    return [(gt[k], recon[k]) for k in sorted(gt)]


def load_pairs(pairs: List[Tuple[str, str]]) -> List[Tuple[torch.Tensor, torch.Tensor]]:
    """Decode every pair to ``(3, H, W)`` pixels in [-1, 1]; list all problems at once."""
    loader, loaded, problems = LoadImage(), [], []
    for gt_path, recon_path in pairs:
        images = []
        for path in (gt_path, recon_path):
            try:
                img = loader.transform(dict(img_path=path))['img']
                images.append(torch.from_numpy(img).permute(2, 0, 1).float() / 127.5 - 1)
            except CorruptSampleError as error:
                problems.append(str(error))
        if len(images) == 2:
            if images[0].shape != images[1].shape:
                problems.append(f'{recon_path} is {tuple(images[1].shape[1:])} but '
                                f'{gt_path} is {tuple(images[0].shape[1:])}')
            else:
                loaded.append((images[0], images[1]))
    if problems:
        raise ValueError(f'{len(problems)} problem(s):\n  ' + '\n  '.join(problems))
    return loaded


def available(filename: str, path: Optional[str], what: str) -> Optional[str]:
    """None when the weights are there, else why the metric is skipped."""
    try:
        find_weights(filename, path, what=what)
        return None
    except (FileNotFoundError, ValueError) as error:
        return str(error)


def progress(done: int, total: int, start: float) -> None:
    rate = done / max(time.perf_counter() - start, 1e-9)
    eta = (total - done) / max(rate, 1e-9)
    print(f'\r{done}/{total} pairs  {rate:.1f} pairs/s  ETA {eta:.0f}s', end='',
          file=sys.stderr, flush=True)


def evaluate(args: argparse.Namespace) -> Dict[str, Optional[float]]:
    pairs = load_pairs(pair_files(args.gt_dir, args.recon_dir))
    metrics = {'psnr/ssim': ReconstructionMetric(prefix='')}
    skipped = {}
    reason = available(VGG16_FILE, args.lpips_weights, 'LPIPS VGG16 trunk')
    if reason is None:
        metrics['lpips'] = LPIPSMetric(vgg_weights=args.lpips_weights, prefix='')
    else:
        skipped['lpips'] = reason
    reason = available(INCEPTION_FILE, args.inception_weights, 'rFID/rIS InceptionV3')
    if reason is None:
        metrics['rfid/ris'] = FIDMetric(inception_weights=args.inception_weights, prefix='')
    else:
        skipped['rfid'] = skipped['ris'] = reason
    device = torch.device(args.device)
    start = time.perf_counter()
    batch: List[dict] = []
    for number, (gt, recon) in enumerate(pairs, 1):
        batch.append(dict(pred=recon.to(device), gt=gt.to(device)))
        last = number == len(pairs)
        if len(batch) == args.batch_size or last or pairs[number][0].shape != gt.shape:
            for metric in metrics.values():
                metric.process(None, batch)
            batch = []
            progress(number, len(pairs), start)
    print(file=sys.stderr)
    results: Dict[str, Optional[float]] = {key: None for key in KEYS}
    for metric in metrics.values():
        for key, value in metric.evaluate(len(pairs)).items():
            results[key.split('/')[-1]] = value
    results['num_images'] = len(pairs)
    for key, reason in skipped.items():
        print(f'{key}: skipped: {reason}', file=sys.stderr)
    results['skipped'] = skipped
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        results = evaluate(args)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    width = max(len(k) for k in KEYS)
    print(f'{"metric":<{width}}  value\n{"-" * width}  ------')
    for key in KEYS:
        value = results[key]
        print(f'{key:<{width}}  {"skipped" if value is None else f"{value:.4f}"}')
    print(f"{results['num_images']} image pairs")
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'results: {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
