"""Sample a trained latent generator (DiT) into images (or clips) and, optionally, score them.

    python tools/sample_dit.py CONFIG CHECKPOINT --tokenizer-config C --tokenizer-checkpoint P
        --out DIR [--num-samples 50000] [--cfg-scale 1.5] [--guidance-interval LO HI]
        [--sampler ddpm|ddim|euler|heun|sde] [--steps N] [--classes 0 1 ...] [--class-balanced]
        [--seed 0] [--batch-size 32] [--weights ema|raw] [--reference REF.npz
        --inception-weights W] [--launcher none|pytorch]
    torchrun --nproc_per_node 8 tools/sample_dit.py ... --launcher pytorch

Writes ``DIR/images/000000.png ...`` (clips: ``.gif``), ``DIR/labels.json``,
``DIR/settings.json`` and an ADM-style ``DIR/samples.npz`` (``arr_0`` uint8 N x H x W x 3,
``arr_1`` labels). Sample i depends only on (seed, i): a rerun fills in missing samples,
any batch size or process count gives the same images, and a folder made with other
settings is refused. With ``--reference`` (ADM's ``VIRTUAL_imagenet256_labeled.npz``, or
a ``.pth`` of Inception statistics) gFID and gIS are computed and written to
``DIR/scores.json``.
"""
import argparse
import json
import os
import os.path as osp

from vitok_mm.cli import add_debug_argument, run_tool
from vitok_mm.utils.table import format_rows
from vitok_mm.workflows.sampling import WEIGHTS, sample_to_folder


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the generator config')
    parser.add_argument('checkpoint', help='the generator checkpoint')
    parser.add_argument('--tokenizer-config', required=True)
    parser.add_argument('--tokenizer-checkpoint', required=True)
    parser.add_argument('--out', required=True, help='the sample folder')
    parser.add_argument('--num-samples', type=int, default=50_000)
    parser.add_argument('--cfg-scale', type=float, default=1.5,
                        help='classifier-free guidance scale (1: none)')
    parser.add_argument('--guidance-interval', type=float, nargs=2, metavar=('LO', 'HI'),
                        help='noise levels in [0, 1] where guidance applies (1 = pure noise)')
    parser.add_argument('--sampler', dest='solver',
                        help='the solver: ddpm, ddim (diffusion), euler, heun (flow ODE), sde '
                             '(flow SDE, Euler-Maruyama); default ddpm-250 for '
                             "diffusion, the generator's own for flow")
    parser.add_argument('--steps', type=int, help='solver steps')
    parser.add_argument('--classes', type=int, nargs='+', help='default: all classes')
    parser.add_argument('--class-balanced', action='store_true',
                        help='classes in turn instead of uniformly at random')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--weights', choices=WEIGHTS, default='ema')
    parser.add_argument('--device', help='default: cuda when available, else cpu')
    parser.add_argument('--reference', help='reference statistics for gFID/gIS')
    parser.add_argument('--inception-weights', help='the FID InceptionV3 weights file')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    summary = sample_to_folder(
        args.config, args.checkpoint, args.tokenizer_config, args.tokenizer_checkpoint,
        args.out, num_samples=args.num_samples, cfg_scale=args.cfg_scale,
        guidance_interval=args.guidance_interval, solver=args.solver,
        num_steps=args.steps, classes=args.classes, class_balanced=args.class_balanced,
        seed=args.seed, batch_size=args.batch_size, weights=args.weights,
        device=args.device, launcher=args.launcher)
    if int(os.environ.get('RANK', 0)) != 0:
        return 0
    rows = [('samples', f'{summary["num_samples"]} in {summary["folder"]} '
                        f'({summary["made"]} made now)'),
            ('solver', f'{summary["solver"]}-{summary["num_steps"]}, CFG '
                       f'{summary["cfg_scale"]:g}, {summary["nfe"]} network evaluations '
                       'per sample')]
    if 'npz' in summary:
        rows.append(('npz', summary['npz']))
    if args.reference:
        from vitok_mm.workflows.scoring import score_samples
        scores = score_samples(summary['npz'], args.reference,
                               inception_weights=args.inception_weights)
        with open(osp.join(args.out, 'scores.json'), 'w') as f:
            json.dump(scores, f, indent=2)
        rows += [('gFID', f'{scores["gfid"]:.3f}'), ('gIS', f'{scores["gis"]:.2f}')]
    print(format_rows(rows))
    return 0


if __name__ == '__main__':
    run_tool(main)
