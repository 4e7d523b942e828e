"""Train a tokenizer from a config (MMEngine conventions).

    python tools/train.py configs/vitok/s-b_16_256p.py [--work-dir DIR] [--resume [auto|PATH]]
        [--amp] [--cfg-options key=value ...] [--launcher none|pytorch|slurm]

Multi-GPU / multi-node: tools/dist_train.sh; Slurm: tools/slurm_train.sh.
On SIGTERM or SIGUSR1 the run saves a checkpoint at the end of its iteration and exits
with code 75; --resume continues from it.
"""
import argparse
import os
import sys

from mmengine.config import DictAction

from vitok_mm.cli import USER_ERRORS, add_debug_argument, run_tool
from vitok_mm.engine import PREEMPTED_EXIT_CODE, PreemptedError
from vitok_mm.workflows import build_runner, load_config


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a vitok_mm model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume: "auto" (or no value) takes the newest complete '
                        'checkpoint in the work dir; a path resumes from that checkpoint')
    parser.add_argument('--amp', action='store_true', help='bf16 autocast (mixed precision)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. train_cfg.max_iters=1000')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.work_dir, args.amp, args.resume,
                      args.launcher)
    runner = build_runner(cfg)
    try:
        runner.train()
    except PreemptedError as stop:  # a complete checkpoint is saved; a requeue resumes it
        runner.logger.warning(str(stop))
        print(f'preempted: {stop}', file=sys.stderr, flush=True)
        return PREEMPTED_EXIT_CODE
    except USER_ERRORS as error:
        runner.logger.error(str(error))  # the run's log says why it stopped
        raise
    return 0


if __name__ == '__main__':
    run_tool(main)
