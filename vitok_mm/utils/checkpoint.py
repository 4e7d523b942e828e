"""Reading checkpoints: weights-only unpickling, with clear errors for files that are not one.

torch >= 2.6 unpickles weights-only by default and refuses every global it has not been
told is plain data. MMEngine's checkpoints hold a few such data types besides tensors
(its ``HistoryBuffer`` of logged scalars, numpy arrays and scalars inside it,
``OrderedDict``), and MMEngine pickles ``HistoryBuffer``'s statistics methods through
``builtins.getattr``, a general callable. :func:`load_checkpoint` allows exactly those
data types, for the one call, and reads ``getattr`` through a narrow stand-in that
resolves only ``HistoryBuffer``'s own statistics methods. Nothing is patched globally:
code that reads a checkpoint calls this function, and a runner does once vitok_mm's
``CheckpointHook`` has called :func:`read_checkpoints_weights_only`.
"""
import collections
import os.path as osp
import pickle
import re
import zipfile
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from torch import nn

PathLike = Union[str, 'os.PathLike[str]']  # noqa: F821 - a string annotation

_REFUSED_GLOBAL = re.compile(r'GLOBAL ([\w.]+)|refusing to resolve (\S+)')
#: ``HistoryBuffer``'s own statistics (registered on its class when the first buffer is
#: made, so not yet in a process that only loads).
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


class CheckpointError(ValueError):
    """A file that cannot be read as a checkpoint; the message names it and the fix."""


def legacy_history_buffer_attribute(owner: Any, name: str) -> Any:
    """Stand-in for ``builtins.getattr`` in MMEngine checkpoints.

    Resolves ``HistoryBuffer.<statistic>`` (``min``, ``max``, ``mean``, ``current`` and
    registered ones) and nothing else.
    """
    if owner is HistoryBuffer and (name in _HISTORY_BUFFER_STATISTICS
                                   or name in HistoryBuffer._statistics_methods):
        return getattr(HistoryBuffer, name)
    owner_name = getattr(owner, '__qualname__', type(owner).__name__)
    raise pickle.UnpicklingError(
        f'refusing to resolve {owner_name}.{name} while loading a checkpoint')


def _numpy_globals() -> list:
    scalar_types = [np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8,
                    np.uint8, np.uint16, np.uint32, np.uint64, np.bool_]
    dtype_classes = [type(np.dtype(t)) for t in scalar_types]
    core = np._core if hasattr(np, '_core') else np.core
    reconstruct = core.multiarray._reconstruct
    scalar = core.multiarray.scalar
    # numpy 2 pickles as numpy._core.*, numpy 1 as numpy.core.*: accept both spellings.
    return [np.ndarray, np.dtype, reconstruct, scalar, *dtype_classes, *scalar_types,
            (reconstruct, 'numpy.core.multiarray._reconstruct'),
            (scalar, 'numpy.core.multiarray.scalar'),
            (reconstruct, 'numpy._core.multiarray._reconstruct'),
            (scalar, 'numpy._core.multiarray.scalar')]


def checkpoint_globals() -> List[Any]:
    """The data types (and the ``getattr`` stand-in) a checkpoint may name, beyond
    torch's own weights-only allowlist."""
    return [HistoryBuffer, collections.OrderedDict, *_numpy_globals(),
            (legacy_history_buffer_attribute, 'builtins.getattr')]


@contextmanager
def checkpoint_safe_globals() -> Iterator[None]:
    """Within this block, weights-only ``torch.load`` accepts :func:`checkpoint_globals`."""
    with torch.serialization.safe_globals(checkpoint_globals()):
        yield


def load_checkpoint(path: PathLike, map_location: Any = 'cpu',
                    weights_only: bool = True) -> Dict[str, Any]:
    """Read a checkpoint (an MMEngine one, a bare state dict, anything ``torch.save`` wrote).

    Args:
        path: the file.
        map_location: as for ``torch.load`` (default ``'cpu'``).
        weights_only: unpickle plain data only (default). ``False`` runs whatever code the
            file names: only for files you made yourself.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: the file was cut short (a kill while saving), is not a PyTorch
            checkpoint at all, or names a callable that weights-only loading refuses.
    """
    path = str(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist.')
    if not zipfile.is_zipfile(path):
        # torch.save writes a zip whose directory comes last: a file cut short is no zip.
        with open(path, 'rb') as f:
            head = f.read(2)
        if head != b'\x80\x02':  # the pre-1.6 format is a bare pickle; anything else is not
            raise CheckpointError(
                f'{path} is not a complete PyTorch checkpoint: it was cut short (a run '
                'killed while saving) or is another kind of file. Use an earlier checkpoint '
                'of the run (tools/train.py --resume takes the newest complete one).')
    try:
        if not weights_only:
            return torch.load(path, map_location=map_location, weights_only=False)
        with checkpoint_safe_globals():
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        refused = _REFUSED_GLOBAL.search(str(error))
        what = f'the callable {refused.group(1) or refused.group(2)}' if refused else 'a callable'
        raise CheckpointError(
            f'{path} was refused: it names {what}, which could run code when loaded, and '
            'vitok_mm reads checkpoints as plain data only. Load it where you trust it and '
            'save its weights alone: torch.save({"state_dict": model.state_dict()}, ...).'
        ) from None
    except (RuntimeError, EOFError, OSError) as error:
        raise CheckpointError(
            f'{path} cannot be read as a PyTorch checkpoint ({error}). Use another '
            'checkpoint of the run.') from None


def _load_local(filename: str, map_location: Any = None) -> Dict[str, Any]:
    return load_checkpoint(osp.expanduser(filename), map_location)


def read_checkpoints_weights_only() -> None:
    """Make MMEngine read local checkpoints (a runner's ``load_from`` and resume) with
    :func:`load_checkpoint`, through its ``CheckpointLoader`` scheme for local paths.

    Called by vitok_mm's ``CheckpointHook`` when a runner builds it; idempotent.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    if CheckpointLoader._schemes.get('') is not _load_local:
        CheckpointLoader.register_scheme(prefixes='', loader=_load_local, force=True)


def state_dict_of(checkpoint: Dict[str, Any],
                  keys: Union[str, Sequence[str]] = 'state_dict') -> Dict[str, torch.Tensor]:
    """The model weights of a checkpoint, without the ``module.`` prefix DDP adds.

    Args:
        keys: the entry to read, or entries to try in turn: ``'state_dict'`` (an MMEngine
            or PyTorch Lightning checkpoint; a bare state dict is its own), or
            ``'ema_state_dict'``, the raw weights beside the averaged ones an ``EMAHook``
            saves (its wrapper's ``module.`` entries; the ``steps`` counter is dropped).
    """
    for key in ([keys] if isinstance(keys, str) else keys):
        if key in checkpoint:
            state = checkpoint[key]
            if key == 'ema_state_dict':
                state = {k: v for k, v in state.items() if k.startswith('module.')}
            break
    else:
        state = checkpoint  # a bare state dict
    return {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in state.items()}


def load_weights(model: nn.Module, path: PathLike, strict: bool = True,
                 map_location: Any = 'cpu',
                 keys: Union[str, Sequence[str]] = 'state_dict') -> Tuple[List[str], List[str]]:
    """Load a checkpoint's weights (its entry ``keys``, see :func:`state_dict_of`), or a
    ``.safetensors`` file's tensors, into ``model``; returns ``(missing, unexpected)`` keys.

    Raises:
        CheckpointError: as :func:`load_checkpoint`, or with ``strict`` when keys differ,
            naming the missing and unexpected ones.
    """
    if str(path).endswith('.safetensors'):  # tensors only, nothing to unpickle
        from .safetensors_io import load_safetensors
        state = load_safetensors(str(path), mmap=False)
    else:
        state = state_dict_of(load_checkpoint(path, map_location), keys)
    missing, unexpected = check_state_fits(model, state, path, strict)
    model.load_state_dict(state, strict=False)
    return missing, unexpected


def check_state_fits(model: nn.Module, state: Dict[str, torch.Tensor], path: PathLike,
                     strict: bool = True) -> Tuple[List[str], List[str]]:
    """Check that ``state`` (read from ``path``) fits ``model``; returns ``(missing,
    unexpected)`` keys.

    Raises:
        CheckpointError: with ``strict`` when keys differ, naming the missing and
            unexpected ones; when shapes of common keys differ.
    """
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if strict and (missing or unexpected):
        raise CheckpointError(
            f'{path} does not fit {type(model).__name__}: missing keys {_few(missing)}, '
            f'unexpected keys {_few(unexpected)}. Is it a checkpoint of this config?')
    mismatched = [f'{k} {tuple(state[k].shape)} (model: {tuple(v.shape)})'
                  for k, v in own.items() if k in state and state[k].shape != v.shape]
    if mismatched:
        raise CheckpointError(f'{path} does not fit {type(model).__name__}: shapes differ for '
                              f'{_few(mismatched)}. Is it a checkpoint of this config?')
    return missing, unexpected


def _few(keys: List[str], count: int = 5) -> str:
    if not keys:
        return 'none'
    more = f' and {len(keys) - count} more' if len(keys) > count else ''
    return ', '.join(keys[:count]) + more


__all__ = ['CheckpointError', 'check_state_fits', 'checkpoint_globals', 'checkpoint_safe_globals',
           'legacy_history_buffer_attribute', 'load_checkpoint', 'load_weights',
           'read_checkpoints_weights_only', 'state_dict_of']
