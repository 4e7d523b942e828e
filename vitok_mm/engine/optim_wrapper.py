"""An optimiser wrapper with autocast on any device and a guard against non-finite steps."""
import logging
from contextlib import contextmanager
from typing import Dict, Optional

import torch
import torch.distributed as dist
from mmengine.logging import MessageHub, print_log
from mmengine.optim import OptimWrapper
from torch import nn

from vitok_mm.registry import OPTIM_WRAPPERS
from vitok_mm.utils.loss_terms import published_loss_terms

NONFINITE_POLICIES = ('raise', 'skip')
DTYPES = {None: None, 'float32': None, 'bfloat16': torch.bfloat16, 'float16': torch.float16}


class NonFiniteError(FloatingPointError):
    """A loss term or gradient went NaN/inf; the message names the iteration and the terms."""


def _sharded(model: nn.Module) -> Optional[nn.Module]:
    """The FSDP module when ``model`` is one (each process then holds shards of the
    gradients), else None."""
    from torch.distributed.fsdp import FullyShardedDataParallel
    return model if isinstance(model, FullyShardedDataParallel) else None


def _model_device_type(model: nn.Module) -> str:
    for parameter in model.parameters():
        return parameter.device.type
    return 'cpu'


@OPTIM_WRAPPERS.register_module()
class GuardedOptimWrapper(OptimWrapper):
    """MMEngine's ``OptimWrapper`` plus mixed precision and a non-finite guard.

    Args:
        dtype: ``'bfloat16'`` runs the forward pass under ``torch.autocast`` on the
            model's device (CPU or CUDA) with no loss scaler; ``'float16'`` adds a
            dynamic ``GradScaler``; ``None``/``'float32'`` trains in float32.
        nonfinite: what to do when the loss or a gradient is NaN/inf:
            ``'raise'`` (default) stops the run at once with :class:`NonFiniteError`
            naming the iteration and the loss terms that went non-finite, before the
            optimizer step, so the weights and the last checkpoint stay good;
            ``'skip'`` drops that step (no update), logs it, and counts it in
            ``train/nonfinite_skipped``.
        **kwargs: ``optimizer``, ``accumulative_counts``, ``clip_grad`` as for
            ``OptimWrapper``; clipping happens after backward (and unscaling), before
            the step.

    Under FSDP (``FlexibleRunner`` with ``FSDPStrategy``), where every process holds a
    shard of each gradient, the clipping norm and the non-finite check are taken over
    all processes, so every process clips by the same factor and skips (or stops at)
    the same step.
    """

    def __init__(self, dtype: Optional[str] = None, nonfinite: str = 'raise', **kwargs):
        super().__init__(**kwargs)
        if dtype not in DTYPES:
            raise ValueError(f'dtype must be one of {list(DTYPES)}, got {dtype!r}.')
        if nonfinite not in NONFINITE_POLICIES:
            raise ValueError(f'nonfinite must be one of {NONFINITE_POLICIES}, got {nonfinite!r}.')
        self.dtype = dtype
        self.cast_dtype = DTYPES[dtype]
        self.nonfinite = nonfinite
        self.num_skipped = 0
        self.loss_scaler = None
        self._device_type = 'cpu'
        self._sharded_model: Optional[nn.Module] = None
        if self.cast_dtype is torch.float16:
            self.loss_scaler = torch.amp.GradScaler()

    @contextmanager
    def optim_context(self, model: nn.Module):
        self._device_type = _model_device_type(model)
        self._sharded_model = _sharded(model)
        with super().optim_context(model), torch.autocast(
                device_type=self._device_type, dtype=self.cast_dtype or torch.float32,
                enabled=self.cast_dtype is not None):
            yield

    # ------------------------------------------------------------------ the guard
    def _nonfinite(self, what: str, here: bool = True) -> bool:
        """Raise, or record a skipped step; returns True when the step must be skipped.

        ``here=False``: this process's value was finite, another process's was not.
        """
        hub = MessageHub.get_current_instance()
        iteration = hub.get_info('iter')
        bad_terms = {k: float(v) for k, v in published_loss_terms().items()
                     if not torch.isfinite(torch.as_tensor(v)).all()}
        described = (', '.join(f'{k}={v}' for k, v in bad_terms.items())
                     or 'no single loss term; the gradients')
        if not here:
            described = 'on another process'
        where = f'iteration {iteration + 1}' if iteration is not None else 'this step'
        message = f'Non-finite {what} at {where}: {described}.'
        if self.nonfinite == 'raise':
            raise NonFiniteError(
                message + ' Stopped before the optimizer step; the weights and the last '
                'checkpoint are intact. Lower the learning rate, check the data, or set '
                "optim_wrapper.nonfinite='skip' to skip such steps.")
        self.num_skipped += 1
        self.message_hub.update_scalar('train/nonfinite_skipped', self.num_skipped)
        print_log(f'{message} Step skipped ({self.num_skipped} so far).', logger='current',
                  level=logging.WARNING)
        self.optimizer.zero_grad()
        return True

    def _everywhere(self, finite: bool) -> bool:
        """Whether ``finite`` holds on every process: they must all step, skip or stop
        together (one that stops alone leaves the others waiting in a collective)."""
        if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return finite
        flag = torch.tensor([float(finite)], device=self._device_type)
        dist.all_reduce(flag, op=dist.ReduceOp.MIN)
        return bool(flag.item())

    def _grads_finite(self) -> bool:
        grads = [p.grad for group in self.optimizer.param_groups for p in group['params']
                 if p.grad is not None]
        finite = (bool(torch.isfinite(torch.stack(torch._foreach_norm(grads))).all())
                  if grads else True)
        # DDP's gradients are the same on every process; FSDP's are shards.
        return self._everywhere(finite) if self._sharded_model is not None else finite

    def _clip_grad(self) -> None:
        if (self._sharded_model is None
                or self.clip_func is not torch.nn.utils.clip_grad_norm_):
            return super()._clip_grad()
        # The norm of the whole gradient, over every process's shards.
        grad_norm = self._sharded_model.clip_grad_norm_(**self.clip_grad_kwargs)
        self.message_hub.update_scalar(f'train/{self.grad_name}', float(grad_norm))

    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        finite_here = bool(torch.isfinite(loss.detach()).all())
        if not self._everywhere(finite_here):
            # Keep the accumulation count moving, so the schedule stays aligned.
            self._inner_count += 1
            self._nonfinite('loss', here=finite_here is False)
            return
        self.backward(self.scale_loss(loss))
        if self.should_update():
            if self.loss_scaler is None and not self._grads_finite():
                self._nonfinite('gradient')
                return
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))

    # ------------------------------------------------------- mixed precision plumbing
    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        if self.loss_scaler is None:
            return super().step(**kwargs)
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update()

    def state_dict(self) -> dict:
        state = super().state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        state['nonfinite_skipped'] = self.num_skipped
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        scaler = state_dict.pop('loss_scaler', None)
        self.num_skipped = int(state_dict.pop('nonfinite_skipped', 0))
        if scaler is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler)
        super().load_state_dict(state_dict)


__all__ = ['GuardedOptimWrapper', 'NonFiniteError']
