"""MMEngine's checkpoint hook, with what every vitok_mm run needs of its checkpoints."""
import os
import os.path as osp
from typing import Any

from mmengine.dist import barrier, get_world_size, is_main_process
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook

from vitok_mm.registry import HOOKS
from vitok_mm.utils.checkpoint import read_checkpoints_weights_only

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
        staging = f'.{filename}.partial'
        self._runner.save_checkpoint(out_dir, staging, *args, **kwargs)
        if get_world_size() > 1:
            barrier()  # every part is written
        if is_main_process():
            os.replace(osp.join(out_dir, staging), osp.join(out_dir, filename))


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
      file. Set up when the hook is built, before any runner loads.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        read_checkpoints_weights_only()

    def _save_checkpoint_with_step(self, runner, step, meta):
        meta = dict(meta or {}, random_states=gather_random_states())
        super()._save_checkpoint_with_step(_StagedSaves(runner), step, meta)
        if is_main_process() and self.last_ckpt is not None:
            pointer = osp.join(runner.work_dir, 'last_checkpoint')
            partial = f'{pointer}.partial-{os.getpid()}'
            with open(partial, 'w') as f:
                f.write(str(self.last_ckpt))
            os.replace(partial, pointer)
