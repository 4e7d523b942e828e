"""Saving and restoring every random-number state with the checkpoint."""
import random
from typing import List

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_dist_info, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log

from vitok_mm.registry import HOOKS


def capture_random_states() -> dict:
    """This process's python, numpy, torch (and CUDA) generator states."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    states = dict(python=random.getstate(),
                  numpy=(kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached),
                  torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def gather_random_states() -> List[dict]:
    """Every process's :func:`capture_random_states`, by rank (a collective under DDP)."""
    states = capture_random_states()
    return all_gather_object(states) if get_world_size() > 1 else [states]


def restore_random_states(states: dict) -> None:
    random.setstate(states['python'])
    kind, keys, pos, has_gauss, cached = states['numpy']
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Put each process's random states in the checkpoint and restore them on resume.

    MMEngine re-seeds on resume but does not restore the generators' positions, so a
    resumed run would draw different posterior noise (and any other randomness) from
    an uninterrupted one. The states are restored when training starts, after the
    runner's own re-seeding. A resume on a different number of processes restores
    rank ``r``'s state from saved rank ``r mod saved_world_size``.

    The states of all processes are gathered by vitok_mm's ``CheckpointHook`` (which every
    process runs, whatever the runner) and handed over in the checkpoint's ``meta``; a
    checkpoint saved another way gets this process's states only.
    """

    priority = 'VERY_LOW'

    def __init__(self):
        self._pending = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        gathered = checkpoint.get('meta', {}).pop('random_states', None)
        checkpoint['random_states'] = gathered or [capture_random_states()]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('random_states')

    def before_train(self, runner) -> None:
        if not self._pending:
            return
        rank, world_size = get_dist_info()
        saved = self._pending
        restore_random_states(saved[rank % len(saved)])
        if len(saved) != world_size:
            print_log(f'Random states saved by {len(saved)} processes restored on '
                      f'{world_size}; per-process streams differ from the original run.',
                      logger='current', level=30)
        self._pending = None
