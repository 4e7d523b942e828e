import io
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from vitok_mm.engine import checkpoint_compat


def _buffer():
    buffer = HistoryBuffer()
    buffer.update(1.0)
    buffer.update(np.float64(2.5), count=2)
    return buffer


def _save(obj) -> bytes:
    stream = io.BytesIO()
    torch.save(obj, stream)
    return stream.getvalue()


def test_history_buffer_pickles_only_its_data():
    checkpoint_compat.apply()
    raw = _save({'loss': _buffer()})
    assert b'getattr' not in raw
    loaded = torch.load(io.BytesIO(raw), weights_only=True)['loss']
    assert loaded.current() == 2.5 and loaded.statistics('mean') == pytest.approx(3.5 / 3)


def test_checkpoints_written_by_plain_mmengine_still_load():
    """Old checkpoints reach builtins.getattr for the statistics methods."""
    raw = _legacy_checkpoint()
    assert b'getattr' in raw
    checkpoint_compat.apply()
    loaded = torch.load(io.BytesIO(raw), weights_only=True)
    assert loaded['loss'].statistics('max') == 2.5
    assert loaded['seed'] == 7


def _legacy_checkpoint() -> bytes:
    """A torch checkpoint whose HistoryBuffer pickles its statistics via getattr."""
    buffer = _buffer()
    original = HistoryBuffer.__getstate__
    try:
        def legacy_getstate(self):
            return dict(self.__dict__, statistics_methods=dict(self._statistics_methods))
        HistoryBuffer.__getstate__ = legacy_getstate
        return _save({'loss': buffer, 'seed': np.int64(7)})
    finally:
        HistoryBuffer.__getstate__ = original


def test_legacy_getattr_stand_in_resolves_nothing_else():
    checkpoint_compat.apply()

    class Sneaky:
        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))
    with pytest.raises(ValueError, match='refusing to resolve'):
        torch.load(io.BytesIO(_save(Sneaky())), weights_only=True)

    import os

    class Evil:
        def __reduce__(self):
            return (os.system, ('true',))
    with pytest.raises(pickle.UnpicklingError):
        torch.load(io.BytesIO(_save(Evil())), weights_only=True)
