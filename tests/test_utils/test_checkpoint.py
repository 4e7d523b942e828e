"""vitok_mm.utils.load_checkpoint: weights-only reads of MMEngine checkpoints, clear errors."""
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from torch import nn

from vitok_mm.utils import CheckpointError, load_checkpoint, load_weights
from vitok_mm.utils.checkpoint import read_checkpoints_weights_only

REPO = Path(__file__).resolve().parents[2]


def _mmengine_checkpoint(path: Path) -> None:
    """What MMEngine's Runner saves besides tensors: a MessageHub whose HistoryBuffers
    pickle their statistics methods through builtins.getattr."""
    hub = MessageHub('checkpoint-test')
    hub.update_scalar('train/loss', 1.0)
    hub.update_scalar('train/loss', np.float64(2.5), count=2)
    torch.save(dict(state_dict=dict(w=torch.ones(2)), message_hub=hub.state_dict(),
                    meta=dict(seed=np.int64(7))), path)


def test_an_mmengine_checkpoint_loads_in_a_fresh_interpreter(tmp_path):
    """No import-time patching: a process that made no HistoryBuffer reads one."""
    path = tmp_path / 'ckpt.pth'
    _mmengine_checkpoint(path)
    assert b'getattr' in path.read_bytes()
    code = textwrap.dedent(f'''
        import sys
        from vitok_mm.utils import load_checkpoint
        checkpoint = load_checkpoint({str(path)!r})
        buffer = checkpoint['message_hub']['log_scalars']['train/loss']
        assert buffer.statistics('max') == 2.5, buffer.statistics('max')
        assert checkpoint['meta']['seed'] == 7
        assert 'vitok_mm.engine' not in sys.modules
        print('ok')
    ''')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == 'ok', result.stderr[-2000:]


def _saved(obj, tmp_path: Path) -> Path:
    path = tmp_path / 'obj.pth'
    torch.save(obj, path)
    return path


def test_the_getattr_stand_in_resolves_only_history_buffer_statistics(tmp_path):
    class Sneaky:
        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))
    path = _saved(Sneaky(), tmp_path)
    with pytest.raises(CheckpointError, match=r'names the callable .*__init__'):
        load_checkpoint(path)


def test_code_in_a_pickle_is_refused_naming_the_callable(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ('true',))
    path = _saved(Evil(), tmp_path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message and 'system' in message and 'plain data' in message
    assert 'weights_only=False' not in message


def test_files_that_are_not_checkpoints(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_checkpoint(tmp_path / 'missing.pth')
    good = _saved(dict(w=torch.ones(3)), tmp_path)
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match=f'{cut} is not a complete PyTorch checkpoint'):
        load_checkpoint(cut)
    noise = tmp_path / 'noise.pth'
    noise.write_bytes(os.urandom(4096))
    with pytest.raises(CheckpointError, match='cut short .* or is another kind of file'):
        load_checkpoint(noise)
    bare = io.BytesIO()
    torch.save(dict(w=torch.ones(3)), bare, _use_new_zipfile_serialization=False)
    legacy = tmp_path / 'legacy.pth'
    legacy.write_bytes(bare.getvalue())
    assert torch.equal(load_checkpoint(legacy)['w'], torch.ones(3))


def test_load_weights_strict_names_missing_unexpected_and_mismatched_keys(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'module.0.weight': torch.zeros(3, 2), 'extra': torch.ones(1)}),
               path)
    with pytest.raises(CheckpointError) as info:
        load_weights(model, path)
    message = str(info.value)
    assert 'missing keys 0.bias, 1.bias, 1.weight' in message
    assert 'unexpected keys extra' in message
    missing, unexpected = load_weights(model, path, strict=False)
    assert missing == ['0.bias', '1.bias', '1.weight'] and unexpected == ['extra']
    assert torch.equal(model[0].weight, torch.zeros(3, 2))  # the DDP prefix is dropped
    torch.save({'0.weight': torch.zeros(2, 2)}, path)
    with pytest.raises(CheckpointError, match=r'shapes differ for 0.weight \(2, 2\) '
                                              r'\(model: \(3, 2\)\)'):
        load_weights(model, path, strict=False)


def test_load_weights_reads_the_raw_weights_an_ema_hook_keeps(tmp_path):
    model = nn.Linear(2, 1)
    path = tmp_path / 'ema.pth'
    averaged = {'weight': torch.ones(1, 2), 'bias': torch.ones(1)}
    raw = {'steps': torch.tensor(5), 'module.weight': torch.full((1, 2), 2.0),
           'module.bias': torch.full((1, ), 2.0)}
    torch.save(dict(state_dict=averaged, ema_state_dict=raw), path)
    load_weights(model, path, keys=('ema_state_dict', 'state_dict'))
    assert torch.equal(model.weight, torch.full((1, 2), 2.0))  # steps is not a weight
    load_weights(model, path)
    assert torch.equal(model.weight, torch.ones(1, 2))
    torch.save(dict(state_dict=averaged), path)  # a run without EMA: its only weights
    load_weights(model, path, keys=('ema_state_dict', 'state_dict'))
    assert torch.equal(model.bias, torch.ones(1))


def test_runners_read_through_load_checkpoint(tmp_path):
    """MMEngine's loader for local paths is ours once a CheckpointHook exists."""
    from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint
    read_checkpoints_weights_only()
    assert CheckpointLoader._get_checkpoint_loader(str(tmp_path / 'x.pth')).__module__ == \
        'vitok_mm.utils.checkpoint'
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(b'PK\x03\x04 truncated')
    with pytest.raises(CheckpointError, match='not a complete PyTorch checkpoint'):
        _load_checkpoint(str(cut))
