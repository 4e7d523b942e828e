"""``vitok-mm evaluate``: tokenizers side by side on one folder of images, one table
(:func:`vitok_mm.workflows.evaluate.evaluate_tokenizers`).

    vitok-mm evaluate vitok-tiny-64p sd-vae-ft-mse --data photos/ --size 256 --out cmp/
"""
import argparse

from .tool import add_debug_argument, positive_int


def add_evaluate_parser(subparsers) -> argparse.ArgumentParser:
    from vitok_mm.workflows.evaluate import MIN_FID_IMAGES
    parser = subparsers.add_parser(
        'evaluate', help='score tokenizers on the same images: PSNR, SSIM, LPIPS, rFID, E, '
        'speed and memory in one table',
        description='Reconstruct the same views of a folder of images with every tokenizer '
        'and write table.md, table.csv and results.json.')
    parser.add_argument('models', nargs='+', metavar='MODEL',
                        help='tokenizers: model names (vitok-mm list; e.g. sd-vae-ft-mse), '
                        'saved folders, hf://ORG/REPO or config files')
    parser.add_argument('--data', required=True,
                        help='a folder of images (recursive), or a dataset config (.py) whose '
                        'test pipeline makes the views')
    parser.add_argument('--limit', type=positive_int, help='the first N images only')
    views = parser.add_mutually_exclusive_group()
    views.add_argument('--size', type=positive_int, metavar='S',
                       help='resize the short side to S and centre-crop S x S (the paper: 256)')
    views.add_argument('--max-tokens', type=positive_int, metavar='N',
                       help='shrink each image to at most N tokens of the largest patch '
                       '(aspect ratio kept)')
    parser.add_argument('--out', required=True, help='the output folder')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch-size', type=positive_int, default=8)
    parser.add_argument('--grid', action='store_true',
                        help='also write crops.png: zoomed centre crops, a column per '
                        'tokenizer')
    parser.add_argument('--inception-weights', help='the FID InceptionV3 file (default: the '
                        'torch hub cache, downloaded where allowed)')
    parser.add_argument('--lpips-weights', help='vgg16-397923af.pth (default: the torch hub '
                        'cache)')
    parser.add_argument('--min-fid-images', type=positive_int, default=MIN_FID_IMAGES,
                        help='rFID/rIS only from this many images (default %(default)s)')
    add_debug_argument(parser)
    return parser


def run_evaluate(args: argparse.Namespace) -> int:
    from vitok_mm.workflows.evaluate import evaluate_tokenizers
    result = evaluate_tokenizers(args.models, args.data, args.out, size=args.size,
                                 max_tokens=args.max_tokens, device=args.device,
                                 batch_size=args.batch_size, grid=args.grid,
                                 inception_weights=args.inception_weights,
                                 lpips_weights=args.lpips_weights,
                                 min_fid_images=args.min_fid_images, limit=args.limit)
    with open(result.table_path) as f:
        print(f.read().rstrip())
    print(f'written: {result.table_path}, {result.csv_path}, {result.json_path}'
          + (f', {result.grid_path}' if result.grid_path else ''))
    return 0


__all__ = ['add_evaluate_parser', 'run_evaluate']
