"""Stage 2 through MMEngine's Runner: loading stage 1, resume after SIGKILL, DDP."""
import re
import signal
import textwrap
from pathlib import Path

import torch

from tests.test_engine.test_training import (
    REPO,
    load_state,
    max_difference,
    run_train,
    samples,
    write_config,
)
from vitok_mm.engine import find_resume_checkpoint

__all__ = ['samples']  # the fixture, shared with test_training

STAGE2 = """
    model = dict(
        type='ViTokGAN',
        discriminator=dict(type='StyleGANDiscriminator', image_size=32, base_channels=8,
                           max_channels=16),
        adversarial_loss=dict(loss_weight=0.5, discriminator_start=0, generator_start=2,
                              warmup_iters=2, lecam_weight=0.01, r1_weight=0.1, r1_interval=2))
    optim_wrapper = dict(
        _delete_=True,
        constructor='GANOptimWrapperConstructor',
        generator=dict(type='GuardedOptimWrapper', dtype='bfloat16',
                       optimizer=dict(type='AdamW', lr=1e-3), clip_grad=dict(max_norm=1.0)),
        discriminator=dict(type='GuardedOptimWrapper', dtype='bfloat16',
                           optimizer=dict(type='AdamW', lr=1e-3), clip_grad=dict(max_norm=5.0)))
    param_scheduler = dict(
        _delete_=True,
        generator=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=4)],
        discriminator=[dict(type='ConstantLR', factor=0.5, by_epoch=False, begin=0, end=3)])
    model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel',
                             broadcast_buffers=False, find_unused_parameters=False)
"""


def stage2_config(folder: Path, samples: str, stage1: str, extra: str = '', **values) -> str:
    """A stage-2 config inheriting the stage-1 test config, as the paper configs do."""
    folder.mkdir(exist_ok=True)
    base = write_config(folder, samples, **values)
    path = folder / 'stage2.py'
    path.write_text(f"_base_ = ['{base}']\n" + textwrap.dedent(STAGE2)
                    + f"load_from = '{stage1}'\n" + textwrap.dedent(extra))
    return str(path)


def train_stage1(tmp_path: Path, samples: str) -> str:
    folder = tmp_path / 'stage1_cfg'
    folder.mkdir()
    result = run_train(write_config(folder, samples, max_iters=3), str(tmp_path / 'stage1'))
    assert result.returncode == 0, result.stderr[-3000:]
    return str(tmp_path / 'stage1' / 'iter_3.pth')


def test_stage2_loads_stage1_reporting_only_discriminator_keys_and_resumes(tmp_path, samples):
    stage1 = train_stage1(tmp_path, samples)
    config = stage2_config(tmp_path / 's2', samples, stage1)
    straight = run_train(config, str(tmp_path / 'straight'))
    assert straight.returncode == 0, straight.stderr[-3000:]
    log = straight.stdout + straight.stderr
    missing = re.search(r'missing keys in source state_dict: (.*)', log).group(1).split(', ')
    assert missing and all(key.startswith('discriminator.') for key in missing)
    assert 'unexpected key' not in log
    assert 'loss_gan' in log and 'disc_accuracy' in log and 'loss_r1' in log
    assert 'generator_grad_norm' in log and 'discriminator_grad_norm' in log

    first = load_state(stage1)['state_dict']
    final = load_state(str(tmp_path / 'straight' / 'iter_6.pth'))
    for key, value in first.items():
        assert torch.equal(value, final['state_dict'][key]) == (not key.startswith('decoder.'))
    assert set(final['optimizer']) == {'generator', 'discriminator'}
    assert set(final['param_schedulers']) == {'generator', 'discriminator'}

    crash = stage2_config(tmp_path / 'crash', samples, stage1, extra="""
        custom_hooks = [dict(type='KillAtIteration', iteration=5)]
    """)
    crashed = run_train(crash, str(tmp_path / 'resumed'))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    assert find_resume_checkpoint(str(tmp_path / 'resumed')).endswith('iter_3.pth')
    # --resume continues stage 2's own checkpoint, not the config's load_from (stage 1).
    resumed = run_train(config, str(tmp_path / 'resumed'), '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 3' in resumed.stdout + resumed.stderr
    again = load_state(str(tmp_path / 'resumed' / 'iter_6.pth'))
    assert max_difference(final['state_dict'], again['state_dict']) == 0.0
    for part in ('generator', 'discriminator'):
        a, b = final['optimizer'][part]['state'], again['optimizer'][part]['state']
        assert a.keys() == b.keys() and len(a) > 0
        for key in a:
            assert torch.equal(a[key]['exp_avg_sq'], b[key]['exp_avg_sq'])
    assert final['param_schedulers'] == again['param_schedulers']


def test_amp_flag_sets_bf16_on_both_parts():
    from vitok_mm.workflows import load_config
    cfg = load_config(str(REPO / 'configs/vitok/s-b_16_256p_stage2.py'), amp=True)
    for part in ('generator', 'discriminator'):
        assert cfg.optim_wrapper[part]['dtype'] == 'bfloat16'
    assert set(cfg.optim_wrapper) == {'constructor', 'generator', 'discriminator'}


def test_resume_without_a_checkpoint_starts_from_load_from(tmp_path, samples):
    stage1 = train_stage1(tmp_path, samples)
    config = stage2_config(tmp_path / 's2', samples, stage1, max_iters=1)
    result = run_train(config, str(tmp_path / 'run'), '--resume')
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert f'starting a new run from the weights of {stage1}' in log
    assert 'Load checkpoint from' in log


def test_stage2_ddp_wraps_only_trainable_parts_and_keeps_ranks_identical(tmp_path, samples):
    stage1 = train_stage1(tmp_path, samples)
    config = stage2_config(tmp_path / 's2', samples, stage1, max_iters=3, extra="""
        custom_hooks = [dict(type='SaveRankWeights')]
    """)
    result = run_train(config, str(tmp_path / 'run'), nproc=2)
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = torch.load(tmp_path / 'run' / 'rank0.pth', weights_only=True)
    rank1 = torch.load(tmp_path / 'run' / 'rank1.pth', weights_only=True)
    # Decoder and discriminator weights agree across ranks (their gradients are
    # all-reduced), and so do the logit EMAs (their batch means are averaged).
    assert max_difference(rank0, rank1) == 0
    steps = [v for k, v in rank0.items() if k.endswith('logit_ema_steps')]
    assert len(steps) == 1 and int(steps[0]) == 3
    first = load_state(stage1)['state_dict']
    assert all(torch.equal(first[k], rank0[k]) for k in first if k.startswith('encoder.'))
