from .checkpoint import CheckpointError, load_checkpoint, load_weights, state_dict_of
from .model_wrappers import unwrap
from .setup_env import register_all_modules

__all__ = ['CheckpointError', 'load_checkpoint', 'load_weights', 'register_all_modules',
           'state_dict_of', 'unwrap']
