"""MMEngine's FSDP strategy, with its optimizer checkpoints fixed for the torch this
project pins."""
import dataclasses

import torch
from mmengine._strategy import FSDPStrategy as MMEngineFSDPStrategy
from torch.distributed.fsdp import FullyShardedDataParallel

from vitok_mm.registry import STRATEGIES

#: What an optimizer's own state dict holds; an optimizer wrapper may add more (a loss
#: scaler, GuardedOptimWrapper's count of skipped steps).
OPTIMIZER_KEYS = ('state', 'param_groups')


@STRATEGIES.register_module()
class FSDPStrategy(MMEngineFSDPStrategy):
    """MMEngine 0.10.7's ``FSDPStrategy`` (same options) with correct optimizer states.

    Configs with ``default_scope = 'vitok_mm'`` get this class for ``type='FSDPStrategy'``.
    Three defects of MMEngine 0.10.7 under torch 2.14 are fixed here:

    - saving: it hands ``FSDP.optim_state_dict`` the optimizer *wrapper*; torch then
      writes one tensor for all of a parameter's moments (``exp_avg`` is the same
      tensor as ``exp_avg_sq``), so a resumed run steps from wrong Adam moments. Here
      torch gets the optimizer, and the wrapper's own entries are kept beside its state;
    - loading: it calls ``FSDP.optim_state_dict_to_load(state_dict, model, optimizer)``,
      torch 2.0's argument order; torch 2.1 made it ``(model, optimizer, state_dict)``,
      and resuming fails with ``unhashable type: 'dict'``;
    - on CPU processes (gloo): MMEngine's ``state_dict_cfg='full'`` offloads the gathered
      state to the CPU, and torch then also returns one buffer for all of a
      parameter's moments (with or without the fix above). Without CUDA the state is on
      the CPU already, so nothing is offloaded.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not torch.cuda.is_available():
            for name in ('state_dict_config', 'optim_state_dict_config'):
                config = getattr(self, name, None)
                if getattr(config, 'offload_to_cpu', False):
                    setattr(self, name, dataclasses.replace(config, offload_to_cpu=False))

    def optim_state_dict(self) -> dict:
        wrapper_state = self.optim_wrapper.state_dict()
        state = FullyShardedDataParallel.optim_state_dict(self.model,
                                                          self.optim_wrapper.optimizer)
        state.update({k: v for k, v in wrapper_state.items() if k not in OPTIMIZER_KEYS})
        return state

    def load_optim_state_dict(self, state_dict: dict) -> None:
        optimizer_state = {k: v for k, v in state_dict.items() if k in OPTIMIZER_KEYS}
        loadable = FullyShardedDataParallel.optim_state_dict_to_load(
            self.model, self.optim_wrapper.optimizer, optimizer_state)
        self.optim_wrapper.load_state_dict(
            dict(loadable, **{k: v for k, v in state_dict.items() if k not in OPTIMIZER_KEYS}))
