"""Train a tokenizer from a config (MMEngine conventions).

    python tools/train.py configs/vitok/s-b_16_256p.py [--work-dir DIR] [--resume [auto|PATH]]
        [--amp] [--cfg-options key=value ...] [--launcher none|pytorch|slurm]

Multi-GPU / multi-node: tools/dist_train.sh; Slurm: tools/slurm_train.sh.
"""
import argparse
import os
import os.path as osp
import sys

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from vitok_mm.datasets import CorruptSampleError
from vitok_mm.engine import NonFiniteError
from vitok_mm.registry import RUNNERS
from vitok_mm.utils import register_all_modules


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
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        wrapper = cfg.optim_wrapper
        if wrapper.get('type', 'OptimWrapper') in ('GuardedOptimWrapper', 'OptimWrapper'):
            wrapper.type = 'GuardedOptimWrapper'
            wrapper.dtype = 'bfloat16'
        else:
            raise SystemExit(f'--amp: set the precision of {wrapper.type} in the config instead.')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if not torch.cuda.is_available():
        # NCCL needs GPUs; gloo runs DDP on CPU processes.
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    return cfg


def init_cpu_distributed(cfg: Config) -> None:
    """Start the process group for torchrun on CPU-only machines.

    MMEngine's launcher pins each process to a CUDA device first, which fails without
    GPUs; on CPU we start the gloo group ourselves and MMEngine uses it as it is.
    """
    if cfg.launcher == 'pytorch' and not torch.cuda.is_available():
        import torch.distributed as dist
        if not dist.is_initialized():
            dist.init_process_group(backend='gloo')


def build_runner(cfg: Config) -> Runner:
    init_cpu_distributed(cfg)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'vitok_mm'))
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)


def main(argv=None) -> int:
    cfg = build_config(parse_args(argv))
    runner = build_runner(cfg)
    try:
        runner.train()
    except (FileNotFoundError, CorruptSampleError, NonFiniteError) as error:
        runner.logger.error(str(error))
        print(f'\nerror: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
