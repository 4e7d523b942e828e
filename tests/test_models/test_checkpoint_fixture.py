"""A checkpoint written before the towers became pluggable still loads and computes the same.

The fixture (tests/data/micro_vitok*) was written by main at fd5588d: a micro ViTok
trained for 2 iterations, and its latent mean and reconstruction of fixed inputs in
fp32 without gradients. Same modules, same parameter names, same order of operations:
the outputs must be bitwise equal.
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch
from mmengine.config import Config

from vitok_mm.registry import MODELS
from vitok_mm.utils import load_checkpoint, load_weights

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / 'tests' / 'data'
CONFIG = DATA / 'micro_vitok.py'
CHECKPOINT = DATA / 'micro_vitok_iter_2.pth'
EXPECTED = DATA / 'micro_vitok_expected.pth'


def test_old_checkpoint_loads_strictly_and_reproduces_outputs():
    model = MODELS.build(Config.fromfile(CONFIG).model).eval()
    missing, unexpected = load_weights(model, CHECKPOINT, strict=True)
    assert missing == [] and unexpected == []
    expected = load_checkpoint(EXPECTED)
    with torch.no_grad():
        mean = model.encode(expected['inputs']).mode()
        reconstruction = model.decode(mean)
    assert torch.equal(mean, expected['mean'])
    assert torch.equal(reconstruction, expected['reconstruction'])


def test_fresh_interpreter_loads_with_models_and_utils_only():
    """No engine import is needed (or made) to build the model and read its checkpoint."""
    code = textwrap.dedent(f'''
        import sys
        import torch
        from mmengine.config import Config
        import vitok_mm.models
        from vitok_mm.registry import MODELS
        from vitok_mm.utils import load_checkpoint, load_weights

        model = MODELS.build(Config.fromfile({str(CONFIG)!r}).model).eval()
        load_weights(model, {str(CHECKPOINT)!r}, strict=True)
        expected = load_checkpoint({str(EXPECTED)!r})
        with torch.no_grad():
            mean = model.encode(expected['inputs']).mode()
            reconstruction = model.decode(mean)
        assert torch.equal(mean, expected['mean']), 'mean differs'
        assert torch.equal(reconstruction, expected['reconstruction']), 'reconstruction differs'
        engine = sorted(m for m in sys.modules if m.startswith('vitok_mm.engine'))
        assert not engine, engine
        print('ok')
    ''')
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO), env.get('PYTHONPATH')]))
    result = subprocess.run([sys.executable, '-c', code], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith('ok')
