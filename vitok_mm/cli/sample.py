"""``vitok-mm sample``: a generator's pictures of a few classes as PNGs (clips as GIFs),
with a grid image (a row per class) on request.

    vitok-mm sample vitok-dit-tiny-64p --classes 3 7 --per-class 4 --out samples --grid

Sample ``i`` is of class ``classes[i % len(classes)]`` and depends only on ``(seed, i)``:
``DIR/000000.png ...`` are the images ``tools/sample_dit.py --class-balanced`` writes for
the same classes and seed.
"""
import argparse
import json
import os
import os.path as osp

from .tool import add_debug_argument, positive_int

GRID_FILE = 'grid.png'


def add_sample_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        'sample', help="a generator's samples of given classes as PNGs, with a grid",
        description='Sample a class-conditional latent generator and decode with its '
        'tokenizer.')
    parser.add_argument('config', help='a generator: a model name (vitok-mm list dit), a '
                        'config file, a saved folder or hf://ORG/REPO')
    parser.add_argument('checkpoint', nargs='?',
                        help="its weights (default: the model index's for a name)")
    parser.add_argument('--classes', type=int, nargs='+', required=True, metavar='ID',
                        help='class ids to sample')
    parser.add_argument('--per-class', type=positive_int, default=1,
                        help='samples of each class (default 1)')
    parser.add_argument('--cfg-scale', type=float, default=1.5,
                        help='classifier-free guidance scale (1: none; default 1.5)')
    parser.add_argument('--guidance-interval', type=float, nargs=2, metavar=('LO', 'HI'),
                        help='noise levels in [0, 1] where guidance applies (1 = pure noise)')
    parser.add_argument('--solver', help='ddpm, ddim (diffusion), euler, heun (flow ODE), '
                        "sde (flow SDE); default the generator's")
    parser.add_argument('--steps', type=positive_int, help='solver steps')
    parser.add_argument('--seed', type=int, default=0,
                        help='sample i depends only on (seed, i) (default 0)')
    parser.add_argument('--tokenizer', help='the tokenizer (a name, folder or hf://; '
                        'default: the one the generator records)')
    parser.add_argument('--weights', choices=('ema', 'raw'), default='ema')
    parser.add_argument('--batch-size', type=positive_int, default=32)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', required=True, help='the output folder')
    parser.add_argument('--grid', action='store_true',
                        help=f'also write {GRID_FILE}: a row per class')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    add_debug_argument(parser)
    return parser


def run_sample(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from vitok_mm.apis import Generator
    generator = Generator.from_pretrained(args.config, args.checkpoint,
                                          tokenizer=args.tokenizer, device=args.device,
                                          weights=args.weights)
    samples = generator.sample(args.classes, args.per_class, cfg_scale=args.cfg_scale,
                               guidance_interval=args.guidance_interval, solver=args.solver,
                               steps=args.steps, seed=args.seed, batch_size=args.batch_size,
                               progress=not args.no_progress)
    labels = generator.labels(args.classes, args.per_class)
    os.makedirs(args.out, exist_ok=True)
    from vitok_mm.workflows.sampling import write_sample
    for index, sample in enumerate(samples):
        write_sample(args.out, index, np.asarray(sample))
    names = generator.class_names
    with open(osp.join(args.out, 'labels.json'), 'w') as f:
        json.dump(dict(labels=labels, class_names=[names[c] for c in labels] if names
                       else None, seed=args.seed, cfg_scale=args.cfg_scale), f, indent=2)
    written = f'{len(samples)} sample(s) of class(es) {" ".join(map(str, args.classes))} ' \
        f'in {args.out}'
    if args.grid:
        if generator.is_video:
            print(f'{written} (no {GRID_FILE}: a grid is for images; the clips are GIFs)')
            return 0
        from vitok_mm.visualization import save_image_rows
        k = len(args.classes)
        rows = [torch.from_numpy(np.stack([np.asarray(samples[i])
                                           for i in range(c, len(samples), k)]))
                .permute(0, 3, 1, 2).float() / 127.5 - 1 for c in range(k)]
        size = rows[0].shape[-1]
        save_image_rows(osp.join(args.out, GRID_FILE), rows, zoom=max(1, 256 // size))
        written += f'; grid: {osp.join(args.out, GRID_FILE)}'
    print(written)
    return 0


__all__ = ['GRID_FILE', 'add_sample_parser', 'run_sample']
