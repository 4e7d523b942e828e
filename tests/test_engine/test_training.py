"""Training through MMEngine's Runner on real bundled photos: a few iterations, resume
after SIGKILL, crash-safe checkpoints, DDP on 2 CPU processes, non-finite stops."""
import math
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from vitok_mm.engine import CheckpointHook, find_resume_checkpoint, global_batch_size
from vitok_mm.utils import load_checkpoint
from vitok_mm.workflows import build_runner, load_config
from vitok_mm.workflows.samples import build_sample_folders

REPO = Path(__file__).resolve().parents[2]
TRAIN = str(REPO / 'tools' / 'train.py')

PLUGIN = '''
import os, signal
import torch
from torch import nn
from mmengine.hooks import Hook
from mmengine.dist import get_rank
from vitok_mm.registry import HOOKS, MODELS


@HOOKS.register_module()
class KillAtIteration(Hook):
    """SIGKILL this process after finishing iteration `iteration` (a real crash)."""
    def __init__(self, iteration):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class SignalAtIteration(Hook):
    """Send `signal_name` to this process during iteration `iteration` (a preemption);
    with `rank`, on that process only."""
    def __init__(self, iteration, signal_name='SIGTERM', rank=None):
        self.iteration, self.signal_name, self.rank = iteration, signal_name, rank

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.iteration and self.rank in (None, get_rank()):
            os.kill(os.getpid(), getattr(signal, self.signal_name))


@HOOKS.register_module()
class SaveRankWeights(Hook):
    def after_run(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        torch.save(model.state_dict(), os.path.join(runner.work_dir, f'rank{get_rank()}.pth'))


@HOOKS.register_module()
class FullDiskAtSave(Hook):
    """From checkpoint `name` on, this process's checkpoint writes fail with ENOSPC after
    writing a little (a disk that fills mid-save); with `rank`, on that process only."""
    def __init__(self, name, rank=None):
        self.name, self.rank = name, rank

    def before_train(self, runner):
        import errno
        from mmengine.runner import runner as runner_module
        if self.rank not in (None, get_rank()):
            return
        save, name = runner_module.save_checkpoint, self.name

        def full(checkpoint, filename, *args, **kwargs):
            if name in str(filename):
                with open(filename, 'wb') as f:
                    f.write(bytes(1000))
                raise OSError(errno.ENOSPC, 'No space left on device')
            return save(checkpoint, filename, *args, **kwargs)
        runner_module.save_checkpoint = full


@MODELS.register_module()
class ExplodingLoss(nn.Module):
    """A loss term that turns NaN from iteration `at` (counted in calls)."""
    def __init__(self, at, loss_name='loss_explode'):
        super().__init__()
        self.at, self.calls, self.loss_name = at, 0, loss_name

    def forward(self, pred, target, posterior=None):
        self.calls += 1
        value = (pred - target).abs().mean() * 0.0
        return value + (float('nan') if self.calls >= self.at else 0.0)
'''


@pytest.fixture(scope='module')
def samples(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp('samples')
    build_sample_folders(str(root))
    return str(root)


def write_config(folder: Path, samples: str, extra: str = '', **values) -> str:
    """A quickstart-derived config, shrunk to run in seconds."""
    settings = dict(max_iters=6, checkpoint_interval=3, val_interval=1000, batch_size=4,
                    accumulation=1)
    settings.update(values)
    (folder / 'vitok_test_plugin.py').write_text(PLUGIN)
    path = folder / 'tiny.py'
    path.write_text(textwrap.dedent(f'''
        _base_ = ['{REPO}/configs/quickstart/vitok_tiny_64p_plain.py']
        custom_imports = dict(imports=['vitok_test_plugin'], allow_failed_imports=False)
        image_size = 32
        model = dict(encoder=dict(width=32, depth=1, num_heads=1),
                     decoder=dict(width=32, depth=1, num_heads=1))
        train_pipeline = [
            dict(type='LoadImage'),
            dict(type='RandomResizedCrop', size=32, scale=(0.05, 1.0)),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]
        test_pipeline = [
            dict(type='LoadImage'), dict(type='ResizeShortSide', size=32),
            dict(type='CenterCrop', crop_size=32), dict(type='PackInputs'),
        ]
        train_dataloader = dict(batch_size={settings['batch_size']},
                                dataset=dict(data_root='{samples}', pipeline=train_pipeline))
        val_dataloader = dict(dataset=dict(data_root='{samples}', pipeline=test_pipeline))
        test_dataloader = val_dataloader
        optim_wrapper = dict(accumulative_counts={settings['accumulation']})
        train_cfg = dict(max_iters={settings['max_iters']},
                         val_interval={settings['val_interval']})
        param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
                                end=4)]
        default_hooks = dict(logger=dict(interval=1),
                             checkpoint=dict(interval={settings['checkpoint_interval']}))
    ''') + textwrap.dedent(extra))
    return str(path)


def run_train(config: str, work_dir: str, *args: str, nproc: int = 0, cwd=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([osp.dirname(config), str(REPO)]))
    if nproc:
        # --standalone: a local rendezvous on a free port.
        command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
                   f'--nproc_per_node={nproc}', TRAIN, config, '--launcher', 'pytorch']
    else:
        command = [sys.executable, TRAIN, config]
    return subprocess.run(command + ['--work-dir', work_dir, *args], capture_output=True,
                          text=True, env=env, cwd=cwd or str(REPO), timeout=600)


def load_state(path: str) -> dict:
    return load_checkpoint(path)


def max_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


def test_trains_validates_and_checkpoints(tmp_path, samples):
    config = write_config(tmp_path, samples, val_interval=3)
    result = run_train(config, str(tmp_path / 'run'))
    assert result.returncode == 0, result.stderr[-3000:]
    work = tmp_path / 'run'
    assert {'iter_3.pth', 'iter_6.pth', 'last_checkpoint'} <= set(os.listdir(work))
    assert not [f for f in os.listdir(work) if 'partial' in f]
    assert (work / 'last_checkpoint').read_text().strip().endswith('iter_6.pth')
    log = result.stdout + result.stderr
    assert 'loss_l1' in log and 'loss_kl' in log and 'recon/psnr' in log
    checkpoint = load_state(str(work / 'iter_6.pth'))
    assert checkpoint['meta']['iter'] == 6 and 'random_states' in checkpoint


def test_resume_after_sigkill_equals_uninterrupted_run(tmp_path, samples):
    config = write_config(tmp_path, samples)
    straight = run_train(config, str(tmp_path / 'straight'))
    assert straight.returncode == 0, straight.stderr[-3000:]

    crash_dir = tmp_path / 'crash_cfg'
    crash_dir.mkdir()
    crash_config = write_config(crash_dir, samples, extra="""
        custom_hooks = [dict(type='KillAtIteration', iteration=5)]
    """)
    crashed = run_train(crash_config, str(tmp_path / 'resumed'))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    assert find_resume_checkpoint(str(tmp_path / 'resumed')).endswith('iter_3.pth')

    resumed = run_train(config, str(tmp_path / 'resumed'), '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 3' in resumed.stdout + resumed.stderr
    a = load_state(str(tmp_path / 'straight' / 'iter_6.pth'))
    b = load_state(str(tmp_path / 'resumed' / 'iter_6.pth'))
    assert max_difference(a['state_dict'], b['state_dict']) <= 1e-6
    state_a, state_b = a['optimizer']['state'], b['optimizer']['state']
    assert state_a.keys() == state_b.keys()
    for key in state_a:
        assert state_a[key]['step'] == state_b[key]['step']
        assert torch.allclose(state_a[key]['exp_avg_sq'], state_b[key]['exp_avg_sq'], atol=1e-9)
    assert a['param_schedulers'] == b['param_schedulers']


@pytest.mark.parametrize('signal_name', ['SIGTERM', 'SIGUSR1'])
def test_a_preemption_signal_saves_exits_75_and_resume_equals_uninterrupted_run(
        tmp_path, samples, signal_name):
    """SIGTERM/SIGUSR1 at iteration 5 (checkpoints every 3): the run finishes iteration
    5, saves iter_5.pth, exits with 75; --resume from it ends where a straight run ends."""
    config = write_config(tmp_path, samples)
    straight = run_train(config, str(tmp_path / 'straight'))
    assert straight.returncode == 0, straight.stderr[-3000:]
    stop_dir = tmp_path / 'stop_cfg'
    stop_dir.mkdir()
    stop_config = write_config(stop_dir, samples, extra=f"""
        custom_hooks = [dict(type='SignalAtIteration', iteration=5,
                             signal_name='{signal_name}')]
    """)
    work = tmp_path / 'resumed'
    stopped = run_train(stop_config, str(work))
    assert stopped.returncode == 75, stopped.stderr[-3000:]
    assert (f'preempted: {signal_name} received: saved {work / "iter_5.pth"} at iteration 5'
            in stopped.stderr)
    assert find_resume_checkpoint(str(work)).endswith('iter_5.pth')
    assert not (work / 'iter_6.pth').exists()
    resumed = run_train(config, str(work), '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 5' in resumed.stdout + resumed.stderr
    a = load_state(str(tmp_path / 'straight' / 'iter_6.pth'))
    b = load_state(str(work / 'iter_6.pth'))
    assert max_difference(a['state_dict'], b['state_dict']) <= 1e-6


def test_a_signal_to_one_of_two_processes_stops_both_at_the_same_iteration(tmp_path,
                                                                           samples):
    """DDP on 2 CPU processes, SIGTERM to rank 1 only: both ranks save iteration 5 and
    stop (the flag is reduced over ranks), and a 2-process --resume finishes the run."""
    config = write_config(tmp_path, samples, extra="""
        custom_hooks = [dict(type='SignalAtIteration', iteration=5, rank=1)]
    """)
    work = tmp_path / 'run'
    stopped = run_train(config, str(work), nproc=2)
    assert stopped.returncode != 0  # torchrun reports the workers' exit code 75 as failure
    log = stopped.stdout + stopped.stderr
    assert log.count('preempted: SIGTERM received') == 2, log[-3000:]
    assert find_resume_checkpoint(str(work)).endswith('iter_5.pth')
    assert not (work / 'iter_6.pth').exists()
    resumed = run_train(write_config(tmp_path, samples), str(work), '--resume', nproc=2)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 5' in resumed.stdout + resumed.stderr
    assert load_state(str(work / 'iter_6.pth'))['meta']['iter'] == 6


def test_tensorboard_backend_writes_loss_scalars_and_reconstruction_grids(tmp_path, samples):
    """The documented TensorBoard backend, read back with tensorboard's own reader."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    config = write_config(tmp_path, samples, max_iters=4, extra="""
        vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
        visualizer = dict(vis_backends=vis_backends)
        default_hooks = dict(logger=dict(interval=2),
                             visualization=dict(interval=2, num_images=2))
    """)
    result = run_train(config, str(tmp_path / 'run'))
    assert result.returncode == 0, result.stderr[-3000:]
    events = sorted((tmp_path / 'run').glob('*/vis_data/events.out.tfevents.*'))
    assert len(events) == 1
    reader = EventAccumulator(str(events[0].parent), size_guidance={'images': 0, 'scalars': 0})
    reader.Reload()
    tags = reader.Tags()
    assert {'loss', 'loss_l1', 'lr'} <= set(tags['scalars'])
    assert [e.step for e in reader.Scalars('loss')] == [2, 4]
    assert all(math.isfinite(e.value) for e in reader.Scalars('loss'))
    grids = [tag for tag in tags['images'] if 'reconstruction' in tag]
    assert grids, tags['images']
    images = reader.Images(grids[0])
    assert [image.step for image in images] == [2, 4]
    assert images[0].width > 0 and images[0].encoded_image_string[:4] == b'\x89PNG'


def test_a_stale_pointer_or_partial_file_is_skipped_on_resume(tmp_path, samples):
    config = write_config(tmp_path, samples, max_iters=3)
    assert run_train(config, str(tmp_path / 'run')).returncode == 0
    work = tmp_path / 'run'
    # A kill while writing leaves only a temporary name; the pointer still names iter_3.
    (work / '.iter_6.pth.partial-123').write_bytes(b'PK\x03\x04 truncated')
    assert find_resume_checkpoint(str(work)).endswith('iter_3.pth')
    # Worst cases: a pointer naming a truncated file, or an empty pointer.
    (work / 'iter_6.pth').write_bytes((work / 'iter_3.pth').read_bytes()[:1000])
    (work / 'last_checkpoint').write_text(str(work / 'iter_6.pth'))
    assert find_resume_checkpoint(str(work)).endswith('iter_3.pth')
    (work / 'last_checkpoint').write_text('')
    assert find_resume_checkpoint(str(work)).endswith('iter_3.pth')
    assert find_resume_checkpoint(str(tmp_path)) is None


RUNNER_TYPES = ('Runner', 'VitokRunner', 'FlexibleRunner')


def build(config: str, work_dir: str, runner_type: str):
    cfg = load_config(config, dict(runner_type=runner_type), work_dir)
    return cfg, build_runner(cfg)


@pytest.mark.parametrize('runner_type', RUNNER_TYPES)
def test_a_save_killed_half_way_exposes_no_checkpoint(tmp_path, samples, monkeypatch,
                                                       runner_type):
    """Atomic saving lives in CheckpointHook: the same under every runner."""
    monkeypatch.syspath_prepend(str(tmp_path))
    config = write_config(tmp_path, samples, max_iters=3)
    _, runner = build(config, str(tmp_path / 'run'), runner_type)
    runner.train()
    work = tmp_path / 'run'
    pointer = (work / 'last_checkpoint').read_text()
    saved = load_state(str(work / 'iter_3.pth'))
    assert len(saved['random_states']) == 1 and 'random_states' not in saved['meta']
    hook = next(h for h in runner.hooks if isinstance(h, CheckpointHook))

    def dying_save(obj, f, *args, **kwargs):
        f.write(b'PK\x03\x04 half a checkpoint')
        raise KeyboardInterrupt('killed while saving')
    monkeypatch.setattr(torch, 'save', dying_save)
    with pytest.raises(KeyboardInterrupt):
        hook._save_checkpoint_with_step(runner, 9, dict(iter=9))
    assert not (work / 'iter_9.pth').exists()
    assert (work / 'last_checkpoint').read_text() == pointer
    assert find_resume_checkpoint(str(work)).endswith('iter_3.pth')


def test_ddp_on_two_cpu_processes_keeps_ranks_identical(tmp_path, samples):
    config = write_config(tmp_path, samples, max_iters=3, extra="""
        custom_hooks = [dict(type='SaveRankWeights')]
    """)
    result = run_train(config, str(tmp_path / 'run'), nproc=2)
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = torch.load(tmp_path / 'run' / 'rank0.pth', weights_only=True)
    rank1 = torch.load(tmp_path / 'run' / 'rank1.pth', weights_only=True)
    assert max_difference(rank0, rank1) == 0.0
    initial = load_state(str(tmp_path / 'run' / 'iter_3.pth'))['state_dict']
    assert max_difference(initial, rank0) == 0.0  # the checkpoint is what both ranks hold
    assert 'distributed' in (result.stdout + result.stderr).lower()


def test_nonfinite_loss_stops_the_run_and_keeps_the_last_checkpoint(tmp_path, samples):
    config = write_config(tmp_path, samples, checkpoint_interval=2, extra="""
        model = dict(losses=[dict(type='L1Loss'), dict(type='ExplodingLoss', at=4)])
    """)
    result = run_train(config, str(tmp_path / 'run'))
    assert result.returncode == 1
    assert 'Non-finite loss at iteration 4: loss_explode=nan.' in result.stderr
    work = str(tmp_path / 'run')
    assert find_resume_checkpoint(work).endswith('iter_2.pth')
    weights = load_state(osp.join(work, 'iter_2.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in weights.values())


def test_paper_config_without_imagenet_stops_naming_the_folder(tmp_path):
    result = run_train(str(REPO / 'configs/vitok/s-b_16_256p.py'), str(tmp_path / 'run'),
                       cwd=str(tmp_path))
    assert result.returncode == 1
    assert "ImageNet (train): image folder 'data/imagenet/train' does not exist" in result.stderr
    assert 'Preparing data' in result.stderr


@pytest.mark.parametrize('runner_type', RUNNER_TYPES)
def test_lr_scales_with_the_global_batch_including_accumulation(tmp_path, samples, monkeypatch,
                                                                runner_type):
    monkeypatch.syspath_prepend(str(tmp_path))
    config = write_config(tmp_path, samples, batch_size=4, accumulation=2, max_iters=2,
                          extra="""
        auto_scale_lr = dict(enable=True, base_batch_size=16)
        optim_wrapper = dict(accumulative_counts=2, optimizer=dict(lr=1e-3))
    """)
    cfg, runner = build(config, str(tmp_path / 'run'), runner_type)
    assert global_batch_size(cfg, world_size=1) == 8
    runner.train()
    assert runner.optim_wrapper.optimizer.param_groups[0]['initial_lr'] == pytest.approx(5e-4)
    # One iteration is one optimizer step of 2 batches: AdamW stepped twice in 2 iterations.
    state = runner.optim_wrapper.optimizer.state_dict()['state']
    assert all(int(s['step']) == 2 for s in state.values())
    assert runner.iter == 2


def test_inherited_config_swaps_decoder_and_loss_weight(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(textwrap.dedent(f"""
        _base_ = ['{REPO}/configs/vitok/s-b_16_256p.py']
        model = dict(
            decoder=dict(depth=24),
            losses=[dict(type='L1Loss', loss_weight=1.0), dict(type='KLLoss', loss_weight=1e-3)])
    """))
    cfg = Config.fromfile(str(child))
    assert cfg.model.decoder.depth == 24 and cfg.model.decoder.width == 768
    assert [loss['type'] for loss in cfg.model.losses] == ['L1Loss', 'KLLoss']
    assert cfg.model.losses[1]['loss_weight'] == 1e-3
    from vitok_mm.analysis import build_on_meta
    model = build_on_meta(cfg.model)
    assert len(model.decoder.transformer.blocks) == 24
    assert model.losses[1].loss_weight == 1e-3


def test_resume_on_a_different_number_of_processes(tmp_path, samples):
    config = write_config(tmp_path, samples)
    first = run_train(config, str(tmp_path / 'run'), '--cfg-options', 'train_cfg.max_iters=3')
    assert first.returncode == 0, first.stderr[-3000:]
    resumed = run_train(config, str(tmp_path / 'run'), '--resume', nproc=2)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    log = resumed.stdout + resumed.stderr
    assert 'resumed epoch: 0, iter: 3' in log
    assert 'Random states saved by 1 processes restored on 2' in log
    checkpoint = load_state(str(tmp_path / 'run' / 'iter_6.pth'))
    assert checkpoint['meta']['iter'] == 6
    assert len(checkpoint['random_states']) == 2


def test_a_truncated_newest_checkpoint_is_named_and_resume_equals_the_previous_one(
        tmp_path, samples):
    """iter_6.pth cut short (a node died while copying): --resume warns naming the file,
    the reason and the iterations to redo, and ends equal to a run resumed from iter_3."""
    config = write_config(tmp_path, samples, max_iters=6)
    work = tmp_path / 'run'
    assert run_train(config, str(work)).returncode == 0
    explicit = tmp_path / 'explicit'
    shutil.copytree(work, explicit)
    for folder in (work, explicit):
        data = (folder / 'iter_6.pth').read_bytes()
        (folder / 'iter_6.pth').write_bytes(data[:len(data) // 2])
    resumed = run_train(config, str(work), '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    log = resumed.stdout + resumed.stderr
    assert (f'resume skipped {work / "iter_6.pth"}: truncated or not a checkpoint' in log), \
        log[-3000:]
    assert (f'resuming from {work / "iter_3.pth"}; iterations 4-6 will be trained again.'
            in log)
    by_hand = run_train(config, str(explicit), '--resume', str(explicit / 'iter_3.pth'))
    assert by_hand.returncode == 0, by_hand.stderr[-3000:]
    a = load_state(str(work / 'iter_6.pth'))['state_dict']
    b = load_state(str(explicit / 'iter_6.pth'))['state_dict']
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_checkpoint_damaged_inside_fails_its_crc_and_is_named(tmp_path, samples):
    config = write_config(tmp_path, samples, max_iters=3)
    work = tmp_path / 'run'
    assert run_train(config, str(work)).returncode == 0
    data = bytearray((work / 'iter_3.pth').read_bytes())
    (work / 'iter_6.pth').write_bytes(bytes(data))
    middle = len(data) // 2
    data[middle:middle + 16] = bytes(b ^ 0xFF for b in data[middle:middle + 16])
    (work / 'iter_6.pth').write_bytes(bytes(data))
    (work / 'last_checkpoint').write_text(str(work / 'iter_6.pth'))
    warnings = []
    assert find_resume_checkpoint(str(work), warn=warnings.append).endswith('iter_3.pth')
    assert len(warnings) == 1
    assert warnings[0].startswith(f'resume skipped {work / "iter_6.pth"}: corrupt (its entry ')
    assert 'fails the CRC check)' in warnings[0]
    assert warnings[0].endswith(f'resuming from {work / "iter_3.pth"}; iterations 4-6 will '
                                'be trained again.')
