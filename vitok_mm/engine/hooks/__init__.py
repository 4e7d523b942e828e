from .checkpoint_hook import PREEMPTED_EXIT_CODE, PREEMPTION_SIGNALS, CheckpointHook, PreemptedError
from .generation_visualization_hook import GenerationVisualizationHook
from .latent_cache_check_hook import LatentCacheCheckHook
from .progress_bar_hook import ProgressBarHook
from .random_state_hook import RandomStateHook
from .visualization_hook import ReconstructionVisualizationHook

__all__ = ['PREEMPTED_EXIT_CODE', 'PREEMPTION_SIGNALS', 'PreemptedError', 'CheckpointHook',
           'GenerationVisualizationHook', 'LatentCacheCheckHook',
           'ProgressBarHook', 'RandomStateHook', 'ReconstructionVisualizationHook']
