from .checkpoint_hook import CheckpointHook
from .progress_bar_hook import ProgressBarHook
from .random_state_hook import RandomStateHook
from .visualization_hook import ReconstructionVisualizationHook

__all__ = ['CheckpointHook', 'ProgressBarHook', 'RandomStateHook',
           'ReconstructionVisualizationHook']
