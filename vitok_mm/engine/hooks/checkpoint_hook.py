"""MMEngine's checkpoint hook with an atomically written ``last_checkpoint`` pointer."""
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook

from vitok_mm.registry import HOOKS


@HOOKS.register_module()
class CheckpointHook(MMEngineCheckpointHook):
    """Same options as MMEngine's ``CheckpointHook``; the ``last_checkpoint`` file is
    rewritten through a temporary file and a rename after each save, so it always
    names a checkpoint that was completely written (see ``VitokRunner``)."""

    def _save_checkpoint_with_step(self, runner, step, meta):
        super()._save_checkpoint_with_step(runner, step, meta)
        if is_main_process() and self.last_ckpt is not None:
            pointer = osp.join(runner.work_dir, 'last_checkpoint')
            partial = f'{pointer}.partial-{os.getpid()}'
            with open(partial, 'w') as f:
                f.write(str(self.last_ckpt))
            os.replace(partial, pointer)
