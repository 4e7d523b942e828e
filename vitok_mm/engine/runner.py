"""MMEngine's Runner with the recipe's batch arithmetic and crash-safe checkpoints."""
import glob
import os
import os.path as osp
import re
import zipfile
from typing import Optional

import torch
from mmengine.dist import all_gather_object
from mmengine.runner import Runner

from vitok_mm.registry import RUNNERS

from .hooks.random_state_hook import capture_random_states


def global_batch_size(cfg, world_size: int) -> int:
    """Samples per optimizer step: per-process batch x processes x accumulation."""
    batch = cfg.train_dataloader['batch_size']
    accumulation = cfg.get('optim_wrapper', {}).get('accumulative_counts', 1)
    return batch * world_size * accumulation


def _is_complete_checkpoint(path: str) -> bool:
    # torch.save writes a zip whose central directory comes last: a file cut short by
    # a kill is not a valid zip.
    return osp.isfile(path) and zipfile.is_zipfile(path)


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete checkpoint of a run: ``last_checkpoint`` when it names one,
    else the highest-numbered ``iter_*.pth`` / ``epoch_*.pth`` that is complete."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and _is_complete_checkpoint(named):
            return named
    numbered = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = re.fullmatch(r'(?:iter|epoch)_(\d+)\.pth', osp.basename(path))
        if match:
            numbered.append((int(match.group(1)), path))
    for _, path in sorted(numbered, reverse=True):
        if _is_complete_checkpoint(path):
            return path
    return None


@RUNNERS.register_module()
class VitokRunner(Runner):
    """``Runner`` with three changes, selected by ``runner_type = 'VitokRunner'``:

    - ``auto_scale_lr`` counts gradient accumulation in the batch size (MMEngine counts
      only processes x per-process batch), so ``lr = base_lr x global_batch /
      base_batch_size`` whatever mix of GPUs and accumulation gives the global batch;
    - checkpoints are written to a temporary file and renamed into place, so a kill
      while saving never leaves a truncated ``iter_N.pth``;
    - ``resume='auto'`` skips a ``last_checkpoint`` that names a missing or
      incomplete file and takes the newest complete checkpoint instead;
    - DDP also runs on CPU processes (gloo): MMEngine pins the wrapper to a CUDA device.
    """

    def test_on(self, dataloader: dict, evaluator) -> dict:
        """Run the test loop on one more dataset with its own evaluator (the model and
        its loaded checkpoint are kept): how ``tools/test.py`` covers several test sets."""
        self._test_dataloader = dataloader
        self._test_evaluator = evaluator
        self._test_loop = self.cfg.get('test_cfg', dict(type='TestLoop'))
        return self.test()

    def wrap_model(self, model_wrapper_cfg: Optional[dict], model):
        if self.distributed and not torch.cuda.is_available():
            model_wrapper_cfg = dict(model_wrapper_cfg or dict(
                type='MMDistributedDataParallel', broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters', False)))
            model_wrapper_cfg['device_ids'] = None  # CPU modules take no device ids
        return super().wrap_model(model_wrapper_cfg, model)

    def scale_lr(self, optim_wrapper, auto_scale_lr: Optional[dict] = None) -> None:
        if auto_scale_lr is None or not auto_scale_lr.get('enable', False):
            return
        real_batch = global_batch_size(self.cfg, self.world_size)
        ratio = real_batch / auto_scale_lr['base_batch_size']
        wrappers = optim_wrapper.values() if hasattr(optim_wrapper, 'values') and not hasattr(
            optim_wrapper, 'optimizer') else [optim_wrapper]
        for wrapper in wrappers:
            for group in wrapper.optimizer.param_groups:
                group['lr'] = group['lr'] * ratio
        self.logger.info(
            f'LR scaled by {ratio:g}: global batch {real_batch} (per-process batch x '
            f'{self.world_size} processes x accumulation) / base batch '
            f"{auto_scale_lr['base_batch_size']}.")

    def save_checkpoint(self, out_dir: str, filename: str, *args, **kwargs) -> None:
        # Every process runs this (MMEngine's own save then returns early off the main
        # process): the one place to collect each process's random states.
        states = capture_random_states()
        self.gathered_random_states = (all_gather_object(states) if self.world_size > 1
                                       else [states])
        if not osp.isdir(out_dir):  # remote storage: no rename there
            return super().save_checkpoint(out_dir, filename, *args, **kwargs)
        partial = f'.{filename}.partial-{os.getpid()}'
        super().save_checkpoint(out_dir, partial, *args, **kwargs)
        if self.rank == 0:
            os.replace(osp.join(out_dir, partial), osp.join(out_dir, filename))

    def load_or_resume(self) -> None:
        """``resume=True`` continues this work dir's run (``resume_from`` names a checkpoint
        instead); ``load_from`` only gives the weights a new run starts from.

        MMEngine resumes from ``load_from`` when both are set, which would restart a
        stage-2 run from its stage-1 weights (and fail on the optimizer states) rather
        than continue it.
        """
        if self._resume and not self._has_loaded:
            found = self.cfg.get('resume_from') or find_resume_checkpoint(self.work_dir)
            if found is None:
                start = (f'from the weights of {self._load_from}' if self._load_from
                         else 'from scratch')
                self.logger.info(f'No checkpoint to resume from in {self.work_dir}; '
                                 f'starting a new run {start}.')
                self._resume = False
            else:
                self._load_from = found
        super().load_or_resume()
