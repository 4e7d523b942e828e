"""Encode a dataset once with a tokenizer into a latent cache, for generators to train on.

    python tools/extract_latents.py TOKENIZER_CONFIG CHECKPOINT --data-config CFG --out DIR
        [--split train] [--views N] [--flip] [--store mean|moments] [--dtype float16|float32]
        [--seed 0] [--batch-size 32] [--shard-size 1024] [--cfg-options ...]
        [--launcher none|pytorch]
    torchrun --nproc_per_node 8 tools/extract_latents.py ... --launcher pytorch

Writes ``DIR/manifest.json``, ``DIR/stats.pth`` (per-channel mean and std) and
``DIR/shard_*.npz``. Shards are written atomically and by one process each, so a rerun
after a kill encodes only what is missing, and 1 or N processes write the same files.
"""
import argparse
import os

from mmengine.config import DictAction

from vitok_mm.cli import add_debug_argument, positive_int, run_tool
from vitok_mm.workflows import extract_latents
from vitok_mm.workflows.latents import DTYPES, SPLITS, STORES


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('tokenizer_config')
    parser.add_argument('checkpoint', help='the tokenizer checkpoint')
    parser.add_argument('--data-config', required=True,
                        help='a config whose <split>_dataloader.dataset gives the data')
    parser.add_argument('--out', required=True, help='the cache folder')
    parser.add_argument('--split', choices=SPLITS, default='train')
    parser.add_argument('--views', type=positive_int, default=1,
                        help='augmented views per item (seeded), default 1')
    parser.add_argument('--flip', action='store_true', help="also each view's mirror")
    parser.add_argument('--store', choices=STORES, default='mean')
    parser.add_argument('--dtype', choices=tuple(DTYPES), default='float16')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=positive_int, default=32)
    parser.add_argument('--shard-size', type=positive_int, default=1024)
    parser.add_argument('--device', help='default: cuda when available, else cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of the data config')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    manifest = extract_latents(
        args.tokenizer_config, args.checkpoint, args.data_config, args.out,
        views=args.views, flip=args.flip, store=args.store, split=args.split,
        seed=args.seed, batch_size=args.batch_size, shard_size=args.shard_size,
        dtype=args.dtype, device=args.device, cfg_options=args.cfg_options,
        launcher=args.launcher)
    if int(os.environ.get('RANK', 0)) == 0:
        shape = 'x'.join(map(str, manifest['latent_shape']))
        print(f'{manifest["count"]} latents of {shape} ({manifest["store"]}, '
              f'{manifest["dtype"]}) in {manifest["shards"]} shards: {args.out}')
    return 0


if __name__ == '__main__':
    run_tool(main)
