"""Evaluate a checkpoint on a config's test sets and print a results table.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options ...]
        [--launcher none|pytorch|slurm]

A config may list several ``test_sets`` (the paper configs: ImageNet val and COCO
val2017), each ``dict(dataset=..., evaluator=...)``; otherwise its
``test_dataloader``/``test_evaluator`` form one set. They run in one ``MultiTestLoop``.
Metrics whose weights are missing (LPIPS: vgg16-397923af.pth, rFID/rIS: the FID
InceptionV3) and sets whose data is missing are skipped with the reason. The table is
saved as test_results.json and test_results.csv in the work dir.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

from vitok_mm.cli import add_debug_argument, run_tool
from vitok_mm.engine import is_complete_checkpoint
from vitok_mm.utils import CheckpointError
from vitok_mm.workflows import (
    build_runner,
    collect_test_results,
    configure_test_sets,
    load_config,
    save_test_results,
)
from vitok_mm.workflows.testing import format_test_results


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a vitok_mm checkpoint')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.exists(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist.')
    if not is_complete_checkpoint(args.checkpoint):
        raise CheckpointError(f'{args.checkpoint} is not a complete checkpoint (cut short '
                              'while saving, or another kind of file); use another '
                              'checkpoint of the run.')
    cfg = load_config(args.config, args.cfg_options, args.work_dir, launcher=args.launcher)
    cfg.load_from = args.checkpoint
    notes = configure_test_sets(cfg)
    runner = build_runner(cfg, lock=False)  # beside a training run on the folder is fine
    runner.test()
    rows, skipped = collect_test_results(runner.test_loop)
    notes += skipped
    if runner.rank == 0:
        print(format_test_results(rows))
        for note in notes:
            print(note)
        paths = save_test_results(cfg.work_dir, rows, notes, config=args.config,
                                  checkpoint=args.checkpoint)
        print(f'results: {", ".join(paths)}')
    return 0 if rows else 1


if __name__ == '__main__':
    run_tool(main)
