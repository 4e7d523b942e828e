"""Loading MMEngine 0.10.7 checkpoints under torch >= 2.6 weights-only unpickling.

torch 2.6 made ``torch.load`` weights-only by default; it refuses any global it has
not been told is safe. MMEngine's checkpoints hold a few plain data types besides
tensors (its ``HistoryBuffer`` of logged scalars, numpy arrays and scalars inside
it, ``OrderedDict``s), so ``Runner.resume`` fails. Instead of turning weights-only
loading off we:

1. allowlist exactly those data types (no callables that can run code);
2. make ``HistoryBuffer`` pickle only its data: MMEngine pickles its statistics
   methods too, which reaches ``builtins.getattr``, a general callable we will not
   allowlist;
3. read checkpoints written before (2) through a narrow stand-in for that
   ``getattr`` that resolves only ``HistoryBuffer``'s own statistics methods.

:func:`apply` runs once when ``vitok_mm.engine`` is imported.
"""
import collections
from typing import Any

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

_APPLIED = False


def _history_buffer_getstate(self) -> dict:
    """Only the data: the statistics methods are class-level and registered at import."""
    return {k: v for k, v in self.__dict__.items() if k != 'statistics_methods'}


def legacy_history_buffer_attribute(owner: Any, name: str) -> Any:
    """Stand-in for ``getattr`` in old MMEngine checkpoints.

    Resolves ``HistoryBuffer.<statistic>`` (``min``, ``max``, ``mean``, ``current`` and
    registered ones) and nothing else.
    """
    if owner is HistoryBuffer and name in HistoryBuffer._statistics_methods:
        return getattr(HistoryBuffer, name)
    raise ValueError(f'refusing to resolve {owner!r}.{name} while loading a checkpoint')


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


def safe_globals() -> list:
    """Everything :func:`apply` adds to torch's weights-only allowlist."""
    return [HistoryBuffer, collections.OrderedDict, *_numpy_globals(),
            (legacy_history_buffer_attribute, 'builtins.getattr')]


def apply() -> None:
    """Patch ``HistoryBuffer`` pickling and extend the weights-only allowlist (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    torch.serialization.add_safe_globals(safe_globals())
    _APPLIED = True
