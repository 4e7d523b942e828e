"""Evaluate a checkpoint on a config's test set and print the metrics.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options ...]
        [--launcher none|pytorch|slurm]

Writes the metrics as JSON to <work dir>/test_metrics.json.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction

from vitok_mm.apis import build_runner, load_config


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a vitok_mm checkpoint')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'Checkpoint {args.checkpoint} does not exist.')
    cfg = load_config(args.config, args.cfg_options, args.work_dir, launcher=args.launcher)
    cfg.load_from = args.checkpoint
    runner = build_runner(cfg)
    metrics = runner.test()
    if runner.rank == 0:
        width = max(len(k) for k in metrics) if metrics else 0
        print('\n'.join(f'{k:<{width}}  {v:.4f}' for k, v in metrics.items()))
        out = osp.join(cfg.work_dir, 'test_metrics.json')
        with open(out, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint, **metrics), f,
                      indent=2)
        print(f'metrics: {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
