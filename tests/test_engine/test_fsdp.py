"""The FSDP config's strategy on 2 CPU processes (gloo): trains, saves, resumes to equal
weights and Adam moments, and writes one checkpoint file that every tool reads."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from vitok_mm.registry import MODELS
from vitok_mm.utils import load_checkpoint, load_weights, register_all_modules
from vitok_mm.workflows.samples import build_sample_folders

REPO = Path(__file__).resolve().parents[2]
FSDP_CONFIG = REPO / 'configs/vitok/s-l_16_256p_fsdp.py'


@pytest.fixture(scope='module')
def config(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp('fsdp')
    samples = folder / 'samples'
    build_sample_folders(str(samples))
    fsdp = Config.fromfile(str(FSDP_CONFIG))
    strategy = fsdp.strategy.to_dict()
    # The paper config wraps modules of 10M parameters; the micro model's blocks are
    # wrapped (and sharded) on their own at this size.
    strategy['model_wrapper']['auto_wrap_policy']['min_num_params'] = 10_000
    path = folder / 'fsdp_micro.py'
    path.write_text(textwrap.dedent(f'''
        _base_ = ['{REPO}/configs/quickstart/vitok_tiny_64p.py']
        runner_type = {fsdp.runner_type!r}
        strategy = {strategy!r}
        image_size = 32
        model = dict(encoder=dict(width=32, depth=1, num_heads=1),
                     decoder=dict(width=32, depth=2, num_heads=1))
        train_dataloader = dict(batch_size=4, dataset=dict(data_root='{samples}'))
        val_dataloader = dict(dataset=dict(data_root='{samples}'))
        test_dataloader = val_dataloader
        train_cfg = dict(max_iters=6, val_interval=1000)
        default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=3))
    '''))
    assert fsdp.runner_type == 'FlexibleRunner' and strategy['type'] == 'FSDPStrategy'
    return str(path)


def train(config: str, work_dir: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
               '--nproc_per_node=2', str(REPO / 'tools/train.py'), config,
               '--launcher', 'pytorch', '--work-dir', str(work_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))


def test_fsdp_trains_saves_and_resumes_to_equal_weights(config, tmp_path):
    straight = train(config, tmp_path / 'straight')
    assert straight.returncode == 0, straight.stderr[-3000:]
    first = train(config, tmp_path / 'resumed', '--cfg-options', 'train_cfg.max_iters=3')
    assert first.returncode == 0, first.stderr[-3000:]
    resumed = train(config, tmp_path / 'resumed', '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 3' in resumed.stdout + resumed.stderr

    a = load_checkpoint(tmp_path / 'straight' / 'iter_6.pth')
    b = load_checkpoint(tmp_path / 'resumed' / 'iter_6.pth')
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key in a['state_dict']:
        assert torch.equal(a['state_dict'][key], b['state_dict'][key]), key
    for key, state in a['optimizer']['state'].items():
        other = b['optimizer']['state'][key]
        assert torch.equal(state['exp_avg'], other['exp_avg']), key
        assert torch.equal(state['exp_avg_sq'], other['exp_avg_sq']), key
        # Each moment is its own tensor (MMEngine's FSDP saving wrote one for both).
        assert not torch.equal(state['exp_avg'], state['exp_avg_sq']), key
    assert len(a['random_states']) == 2  # both processes' states, gathered
    assert a['optimizer']['nonfinite_skipped'] == 0  # GuardedOptimWrapper's own entry
    assert not [f for f in os.listdir(tmp_path / 'resumed') if 'partial' in f]

    # One file with the whole, unsharded model: it loads into the plain model.
    register_all_modules(init_default_scope=False)
    model = MODELS.build(Config.fromfile(config).model)
    assert load_weights(model, tmp_path / 'straight' / 'iter_6.pth') == ([], [])


PLUGIN = '''
import torch
from torch import nn
from vitok_mm.registry import MODELS


@MODELS.register_module()
class NaNOnRankOne(nn.Module):
    """A loss term that turns NaN on rank 1 only, from its `at`-th call."""
    def __init__(self, at, loss_name='loss_nan'):
        super().__init__()
        self.at, self.calls, self.loss_name = at, 0, loss_name

    def forward(self, pred, target, posterior=None):
        self.calls += 1
        value = (pred - target).abs().mean() * 0.0
        bad = torch.distributed.get_rank() == 1 and self.calls >= self.at
        return value + (float('nan') if bad else 0.0)
'''


def test_a_nonfinite_step_on_one_process_stops_every_process(config, tmp_path):
    """GuardedOptimWrapper under FSDP: the NaN is on rank 1 only; both processes must
    agree to stop (one stopping alone would leave the other in a collective)."""
    (tmp_path / 'nan_plugin.py').write_text(PLUGIN)
    child = tmp_path / 'nan.py'
    child.write_text(textwrap.dedent(f'''
        _base_ = ['{config}']
        custom_imports = dict(imports=['nan_plugin'], allow_failed_imports=False)
        model = dict(losses=[dict(type='L1Loss'), dict(type='NaNOnRankOne', at=2)])
    '''))
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
               '--nproc_per_node=2', str(REPO / 'tools/train.py'), str(child),
               '--launcher', 'pytorch', '--work-dir', str(tmp_path / 'run')]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONPATH=f'{tmp_path}{os.pathsep}{REPO}'))
    assert result.returncode != 0
    # Rank 1 names its term, rank 0 the reason it stops too; neither waits for the other.
    assert 'Non-finite loss at iteration 2: loss_nan=nan.' in result.stderr, \
        result.stderr[-3000:]
    assert 'Non-finite loss at iteration 2: on another process.' in result.stderr
