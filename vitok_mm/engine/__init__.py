"""Runtime pieces: runner, loops, hooks and optimiser wrappers (registered in vitok_mm's
RUNNERS, LOOPS, HOOKS, OPTIM_WRAPPERS)."""
from . import checkpoint_compat
from .gan_optim_constructor import GANOptimWrapperConstructor
from .hooks import CheckpointHook, ProgressBarHook, RandomStateHook, ReconstructionVisualizationHook
from .loops import ResumableIterBasedTrainLoop
from .optim_wrapper import GuardedOptimWrapper, NonFiniteError
from .runner import VitokRunner, find_resume_checkpoint, global_batch_size

checkpoint_compat.apply()

__all__ = ['GANOptimWrapperConstructor', 'CheckpointHook', 'ProgressBarHook', 'RandomStateHook',
           'ReconstructionVisualizationHook', 'ResumableIterBasedTrainLoop',
           'GuardedOptimWrapper', 'NonFiniteError', 'VitokRunner', 'find_resume_checkpoint',
           'global_batch_size']
