"""MMEngine's checkpoint hook, with what every vitok_mm run needs of its checkpoints."""
import glob
import os
import os.path as osp
import signal
import threading
from typing import Any, Optional, Sequence

import torch
from mmengine.dist import all_reduce, get_world_size, is_main_process
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook

from vitok_mm.registry import HOOKS
from vitok_mm.utils.checkpoint import read_checkpoints_weights_only
from vitok_mm.utils.storage import (
    StorageError,
    is_write_failure,
    partial_size,
    remove_quietly,
    staged_file,
    storage_error,
)

from .random_state_hook import gather_random_states


class _StagedSaves:
    """The runner as the parent hook sees it, except that ``save_checkpoint`` writes under
    a temporary name that is renamed into place once complete.

    Every runner (``Runner``, ``FlexibleRunner`` with any strategy) writes its checkpoint
    in its own ``save_checkpoint``; staging the file name around that call is what keeps
    the guarantee the same for all of them.
    """

    def __init__(self, runner):
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runner, name)

    def save_checkpoint(self, out_dir: str, filename: str, *args, **kwargs) -> None:
        if not osp.isdir(out_dir):  # remote storage: no rename there
            return self._runner.save_checkpoint(out_dir, filename, *args, **kwargs)
        # The same name on every process: a sharded (FSDP local) checkpoint is a folder
        # that each process writes its part into.
        staging = osp.join(out_dir, f'.{filename}.partial')
        target = osp.join(out_dir, filename)
        error = None
        try:
            self._runner.save_checkpoint(out_dir, osp.basename(staging), *args, **kwargs)
        except (OSError, RuntimeError) as caught:
            if not is_write_failure(caught):
                raise
            error = caught
        failed = error is not None
        if get_world_size() > 1:  # every part is written, or every process stops
            flag = torch.tensor([int(failed)], dtype=torch.int64)
            all_reduce(flag, op='max')
            failed = bool(flag.item())
        if failed:
            written = partial_size(staging)
            if is_main_process() or error is not None:
                remove_quietly(staging)
            rerun = ('rerun with --resume: the earlier checkpoints are intact and resuming '
                     'is exact')
            if error is None:
                raise StorageError(f'another process could not write {target} (its error '
                                   'names the cause); every process stopped. Make room, '
                                   f'then {rerun}.', target)
            raise storage_error(target, error, max(filter(None, (
                written, previous_checkpoint_size(out_dir))), default=None), rerun) from error
        if is_main_process():
            os.replace(staging, target)


def previous_checkpoint_size(out_dir: str) -> Optional[int]:
    """Size of the newest ``iter_*.pth`` / ``epoch_*.pth`` in ``out_dir`` (what the next
    one needs, about), or None."""
    sizes = [(osp.getmtime(path), partial_size(path))
             for pattern in ('iter_*.pth', 'epoch_*.pth')
             for path in glob.glob(osp.join(out_dir, pattern))]
    return max(sizes)[1] if sizes else None


#: Signals that ask a run to stop soon (Slurm ``--signal``, Kubernetes, spot instances).
PREEMPTION_SIGNALS = ('SIGTERM', 'SIGUSR1')
#: Exit code of ``tools/train.py`` after saving on such a signal (BSD's EX_TEMPFAIL:
#: "try again later"); ``tools/slurm_train.sh`` requeues the job on it.
PREEMPTED_EXIT_CODE = 75


class PreemptedError(Exception):
    """A run stopped on a preemption signal after saving a complete checkpoint."""

    def __init__(self, signal_name: str, step: int, checkpoint: Optional[str]):
        self.signal_name, self.step, self.checkpoint = signal_name, step, checkpoint
        super().__init__(f'{signal_name} received: saved {checkpoint} at iteration {step} '
                         'and stopped; rerun with --resume to continue from it.')


@HOOKS.register_module()
class CheckpointHook(MMEngineCheckpointHook):
    """MMEngine's ``CheckpointHook`` (same options), for any runner, plus:

    - checkpoints are written under a temporary name and renamed into place, and the
      ``last_checkpoint`` pointer is rewritten the same way, so a kill while saving
      never leaves a truncated ``iter_N.pth`` or a pointer to one;
    - every process's random states go into the checkpoint (gathered here, where all
      processes pass; :class:`RandomStateHook` restores them on resume);
    - the runner's checkpoint reads (``load_from``, resume) go through
      :func:`vitok_mm.utils.load_checkpoint`: weights-only, with errors that name the
      file. Set up when the hook is built, before any runner loads;
    - on a preemption signal (``save_on_signals``, default SIGTERM and SIGUSR1) the run
      finishes its iteration, saves a checkpoint there (every process agrees on the
      iteration: the flag is reduced over ranks) and raises :class:`PreemptedError`, which
      ``tools/train.py`` turns into exit code :data:`PREEMPTED_EXIT_CODE`. Resuming
      from that checkpoint equals an uninterrupted run.

    Args:
        save_on_signals: signal names to save and stop on; ``()`` keeps the default
            handlers (a SIGTERM then ends the process at once).
    """

    def __init__(self, *args, save_on_signals: Sequence[str] = PREEMPTION_SIGNALS,
                 **kwargs):
        super().__init__(*args, **kwargs)
        read_checkpoints_weights_only()
        unknown = [name for name in save_on_signals if not hasattr(signal, name)]
        if unknown:
            raise ValueError(f'save_on_signals: {unknown} are not signals here; use names '
                             f'such as {PREEMPTION_SIGNALS}.')
        self.save_on_signals = tuple(save_on_signals)
        self._received: Optional[int] = None
        self._previous_handlers = {}
        self._saved_step: Optional[int] = None

    # ------------------------------------------------------------------ preemption
    def _on_signal(self, signum, frame) -> None:
        self._received = signum  # acted on at the end of the current iteration

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self.save_on_signals and threading.current_thread() is threading.main_thread():
            for name in self.save_on_signals:
                number = getattr(signal, name)
                self._previous_handlers[number] = signal.signal(number, self._on_signal)

    def _restore_signal_handlers(self) -> None:
        for number, handler in self._previous_handlers.items():
            signal.signal(number, handler)
        self._previous_handlers = {}

    def after_train(self, runner) -> None:
        self._restore_signal_handlers()

    def _signal_received(self) -> int:
        """The signal any process received (0: none), the same on every process."""
        received = self._received or 0
        if get_world_size() > 1:
            flag = torch.tensor([received], dtype=torch.int64)
            all_reduce(flag, op='max')  # on the backend's device (NCCL: the GPU)
            received = int(flag.item())
        return received

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        super().after_train_iter(runner, batch_idx, data_batch, outputs)
        if not self.save_on_signals:
            return
        received = self._signal_received()
        if not received:
            return
        step = runner.iter + 1
        name = signal.Signals(received).name
        if self._saved_step != step:
            runner.logger.info(f'{name} received: saving a checkpoint at {step} iterations '
                               'before stopping')
            self._save_checkpoint_with_step(runner, step, dict(epoch=runner.epoch, iter=step))
        self._restore_signal_handlers()
        raise PreemptedError(name, step, self.last_ckpt)

    def _save_checkpoint_with_step(self, runner, step, meta):
        self._saved_step = step
        meta = dict(meta or {}, random_states=gather_random_states())
        super()._save_checkpoint_with_step(_StagedSaves(runner), step, meta)
        if is_main_process() and self.last_ckpt is not None:
            pointer = osp.join(runner.work_dir, 'last_checkpoint')
            with staged_file(pointer, rerun='rerun with --resume') as partial:
                with open(partial, 'w') as f:
                    f.write(str(self.last_ckpt))
