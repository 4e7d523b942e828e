"""Runtime pieces: loops, hooks, optimiser wrappers and their constructor (registered in
vitok_mm's LOOPS, HOOKS, OPTIM_WRAPPERS, OPTIM_WRAPPER_CONSTRUCTORS, RUNNERS)."""
from .fsdp_strategy import FSDPStrategy
from .gan_optim_constructor import GANOptimWrapperConstructor
from .hooks import (
           PREEMPTED_EXIT_CODE,
           CheckpointHook,
           PreemptedError,
           ProgressBarHook,
           RandomStateHook,
           ReconstructionVisualizationHook,
)
from .loops import MultiTestLoop, ResumableIterBasedTrainLoop, accumulation_of, global_batch_size
from .optim_wrapper import GuardedOptimWrapper, NonFiniteError
from .resume import find_resume_checkpoint, is_complete_checkpoint
from .runner import VitokRunner

__all__ = ['PREEMPTED_EXIT_CODE', 'PreemptedError', 'FSDPStrategy',
           'GANOptimWrapperConstructor', 'CheckpointHook', 'ProgressBarHook',
           'RandomStateHook',
           'ReconstructionVisualizationHook', 'MultiTestLoop', 'ResumableIterBasedTrainLoop',
           'accumulation_of', 'global_batch_size', 'GuardedOptimWrapper', 'NonFiniteError',
           'find_resume_checkpoint', 'is_complete_checkpoint', 'VitokRunner']
