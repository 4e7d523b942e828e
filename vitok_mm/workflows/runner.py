"""Loading a config for a run and building its MMEngine runner."""
import logging
import os
import os.path as osp
import sys
import weakref
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from vitok_mm.apis.inference import load_inference_config
from vitok_mm.engine import find_resume_checkpoint
from vitok_mm.evaluation import split_available
from vitok_mm.registry import RUNNERS
from vitok_mm.utils import register_all_modules
from vitok_mm.utils.folder_lock import lock_folder, unlock_folder


def load_config(path: str, cfg_options: Optional[dict] = None, work_dir: Optional[str] = None,
                amp: bool = False, resume: Optional[str] = None,
                launcher: str = 'none') -> Config:
    """A config ready for a runner: overrides merged, work dir set, precision and resume.

    Args:
        path: config file.
        cfg_options: ``{'key.sub': value}`` overrides.
        work_dir: where logs and checkpoints go (default ``work_dirs/<config name>``).
        amp: bf16 autocast through ``GuardedOptimWrapper``.
        resume: ``'auto'`` (newest complete checkpoint in the work dir; a new run from the
            config's ``load_from`` when there is none) or the path of a checkpoint.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
    """
    cfg = load_inference_config(path, cfg_options)
    cfg.launcher = launcher
    if work_dir:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(path))[0])
    if amp:
        # One wrapper, or one per part (GANOptimWrapperConstructor's generator/discriminator).
        parts = ([cfg.optim_wrapper[k] for k in ('generator', 'discriminator')]
                 if 'constructor' in cfg.optim_wrapper and 'generator' in cfg.optim_wrapper
                 else [cfg.optim_wrapper])
        for wrapper in parts:
            if wrapper.get('type', 'OptimWrapper') not in ('GuardedOptimWrapper', 'OptimWrapper'):
                raise ValueError(
                    f'--amp: set the precision of {wrapper.type} in the config instead.')
            wrapper.type = 'GuardedOptimWrapper'
            wrapper.dtype = 'bfloat16'
    resolve_resume(cfg, resume)
    if not torch.cuda.is_available():
        run_on_cpu_processes(cfg)
    if cfg.get('val_evaluator'):
        # A metric whose weights are missing would stop a long run at its first
        # validation; drop it now, saying why.
        kept, skipped = split_available(cfg.val_evaluator)
        for metric, why in skipped.items():
            print_log(f'val_evaluator: {metric} skipped: {why}', logger='current',
                      level=logging.WARNING)
        cfg.val_evaluator = kept
    return cfg


def resolve_resume(cfg: Config, resume: Optional[str]) -> None:
    """Turn ``resume`` into MMEngine's ``resume``/``load_from``, the same for every runner.

    ``'auto'`` continues this work dir's run from its newest complete checkpoint (one cut
    short by a kill is passed over); with nothing to resume the run starts new, from the
    config's ``load_from`` weights if it names some. A path continues from that
    checkpoint. MMEngine itself would resume from ``load_from`` when both are set, which
    would restart a stage-2 run from its stage-1 weights instead of continuing it.
    """
    if resume is None:
        return
    if resume == 'auto':
        found = find_resume_checkpoint(cfg.work_dir)
        if found is None:
            start = f'from the weights of {cfg.load_from}' if cfg.get('load_from') else \
                'from scratch'
            print_log(f'No checkpoint to resume from in {cfg.work_dir}; starting a new run '
                      f'{start}.', logger='current')
            cfg.resume = False
            return
        resume = found
    elif not osp.isfile(resume):
        raise FileNotFoundError(f'--resume {resume}: no such checkpoint; use --resume '
                                'alone to take the newest one in the work dir.')
    cfg.resume, cfg.load_from = True, resume


def run_on_cpu_processes(cfg: Config) -> None:
    """Settings that let a distributed run use CPU processes, for any runner: gloo
    instead of NCCL, and model wrappers not pinned to a CUDA device (MMEngine gives DDP
    ``device_ids=[LOCAL_RANK]`` and FSDP ``device_id=LOCAL_RANK``, both CUDA devices)."""
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    if cfg.get('launcher', 'none') == 'none':
        return
    strategy = cfg.get('strategy')
    if strategy is not None:
        if strategy.get('type') == 'FSDPStrategy':
            strategy.setdefault('model_wrapper', {}).setdefault('device_id', 'cpu')
        elif strategy.get('type') == 'DDPStrategy':
            strategy.setdefault('model_wrapper', {}).setdefault('device_ids', None)
        return
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None  # CPU modules take no device ids
    cfg.model_wrapper_cfg = wrapper


def init_cpu_distributed(cfg: Config) -> None:
    """Start the process group for torchrun on CPU-only machines.

    MMEngine's launcher pins each process to a CUDA device first, which fails without
    GPUs; on CPU we start the gloo group ourselves and MMEngine uses it as it is.
    """
    if cfg.get('launcher') == 'pytorch' and not torch.cuda.is_available():
        import torch.distributed as dist
        if not dist.is_initialized():
            dist.init_process_group(backend='gloo')


_was_distributed = False


def shutdown_distributed(barrier: bool = True) -> None:
    """Wait for every process, then tear the process group down."""
    global _was_distributed
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        _was_distributed = True
        if barrier:  # not after an error: the other processes may never get here
            dist.barrier()
        dist.destroy_process_group()


def exit_process(code: int) -> None:
    """End a tool's process with ``code``.

    After a distributed run (torchrun), some process occasionally aborts in the C++
    static destructors at interpreter exit ("terminate called without an active
    exception", SIGABRT) although its work, checkpoints and logs are complete and the
    process group is already destroyed; torchrun then reports the whole run failed.
    So distributed processes flush their output and logs and leave with ``os._exit``,
    skipping those destructors. Single-process runs exit normally.
    """
    if not _was_distributed:
        sys.exit(code)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def build_runner(cfg: Config, lock: bool = True) -> Runner:
    """The config's runner (``runner_type``, default MMEngine's ``Runner``).

    ``lock``: rank 0 first takes the work dir's lock (:mod:`vitok_mm.utils.folder_lock`),
    before the runner writes anything, held while the runner lives: a second run on the
    same work dir is refused in one line naming the first. ``tools/test.py`` passes False:
    testing a checkpoint beside a training run on the same folder is fine.

    Raises:
        FolderInUseError: another live process runs in this work dir.
    """
    if lock:
        lock_folder(cfg.work_dir, 'training run')
    init_cpu_distributed(cfg)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'vitok_mm'))
    try:
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    except BaseException:
        if lock:
            unlock_folder(cfg.work_dir)
        raise
    if lock:
        weakref.finalize(runner, unlock_folder, cfg.work_dir)
    return runner
