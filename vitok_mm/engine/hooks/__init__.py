from .checkpoint_hook import CheckpointHook
from .random_state_hook import RandomStateHook

__all__ = ['CheckpointHook', 'RandomStateHook']
