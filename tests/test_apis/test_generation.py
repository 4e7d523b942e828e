"""Latent generators end to end on the micro fixture tokenizer: a tiny DiT trained on a
labelled latent cache (EMA, resume), sampled into a folder (batch independence, reruns,
refusals), and the model's guidance and errors."""
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
import torch
from mmengine.config import Config

from vitok_mm.apis.generation import load_generator
from vitok_mm.models.builder import build_model
from vitok_mm.utils.samples_npz import read_samples_npz
from vitok_mm.workflows import build_runner, extract_latents, load_config
from vitok_mm.workflows.quickstart_dit import quickstart_tokenizer
from vitok_mm.workflows.samples import build_sample_folders
from vitok_mm.workflows.sampling import sample_to_folder

REPO = Path(__file__).resolve().parents[2]
TOKENIZER = str(REPO / 'tests/data/micro_vitok.py')
CHECKPOINT = str(REPO / 'tests/data/micro_vitok_iter_2.pth')


@pytest.fixture(scope='module')
def cache(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp('gen_data')
    build_sample_folders(str(folder / 'samples'))
    names = sorted(os.listdir(folder / 'samples' / 'train'))[:4]
    (folder / 'labels.txt').write_text(''.join(f'{n} {i}\n' for i, n in enumerate(names)))
    data = folder / 'data.py'
    data.write_text(textwrap.dedent(f'''
        train_dataloader = dict(dataset=dict(
            type='ImageDataset', data_root='{folder / "samples"}', data_prefix='train',
            ann_file='{folder / "labels.txt"}',
            pipeline=[dict(type='LoadImage'), dict(type='RandomResizedCrop', size=16),
                      dict(type='PackInputs')]))
    '''))
    out = str(folder / 'latents')
    extract_latents(TOKENIZER, CHECKPOINT, str(data), out, views=4, dtype='float32',
                    progress=False)
    return out


def write_config(folder: Path, cache: str, diffusion: str = "dict(type='FlowMatching')",
                 max_iters: int = 4) -> str:
    path = folder / 'dit_micro.py'
    path.write_text(textwrap.dedent(f'''
        _base_ = ['{REPO}/configs/quickstart/dit_tiny_64p.py']
        latent_cache = '{cache}'
        model = dict(generator=dict(width=24, depth=1, num_heads=2),
                     diffusion={diffusion}, latent_shape=(4, 4, 4), num_classes=4,
                     data_preprocessor=dict(num_channels=4, cache=latent_cache),
                     solver=dict(_delete_=True, type='Euler', num_steps=3))
        max_iters = {max_iters}
        param_scheduler = []
        train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
        train_dataloader = dict(batch_size=4, dataset=dict(cache=latent_cache))
        val_dataloader = dict(batch_size=8, dataset=dict(cache=latent_cache, indices=8))
        test_dataloader = val_dataloader
        tokenizer = dict(config='{TOKENIZER}', checkpoint='{CHECKPOINT}')
        default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1),
                             visualization=dict(num_classes=4, samples_per_class=1))
    '''))
    return str(path)


def train(config: str, work_dir: str, **options):
    cfg = load_config(config, options or None, work_dir=work_dir)
    runner = build_runner(cfg)
    runner.train()
    return runner


@pytest.fixture(scope='module')
def trained(cache, tmp_path_factory):
    folder = tmp_path_factory.mktemp('gen_run')
    config = write_config(folder, cache)
    runner = train(config, str(folder / 'work'))
    metrics = runner.message_hub.get_scalar('val/gen/latent_fd')
    assert metrics is not None and np.isfinite(metrics.current())
    return config, str(folder / 'work' / 'iter_4.pth')


def test_training_writes_ema_and_statistics(trained, cache):
    config, checkpoint = trained
    ckpt = torch.load(checkpoint, map_location='cpu', weights_only=False)
    assert 'ema_state_dict' in ckpt
    stats = torch.load(Path(cache, 'stats.pth'), weights_only=False)
    torch.testing.assert_close(ckpt['state_dict']['data_preprocessor.mean'],
                               stats['mean'].float())
    ema = load_generator(config, checkpoint, 'ema')
    raw = load_generator(config, checkpoint, 'raw')
    name = 'generator.patch_embed.proj.weight'
    assert not torch.equal(ema.state_dict()[name], raw.state_dict()[name])


def test_validation_draws_a_decoded_grid_of_fixed_seeds(trained):
    """GenerationVisualizationHook after validation: one row per seed, a column per class,
    decoded by the configured tokenizer (16x16 pixels per sample)."""
    from PIL import Image
    grids = list(Path(trained[1]).parent.glob('*/vis_data/vis_image/generated_4.png'))
    assert len(grids) == 1
    assert Image.open(grids[0]).size == (4 * 16, 1 * 16)


def test_resume_equals_an_uninterrupted_run_ema_included(trained, cache, tmp_path):
    config, checkpoint = trained
    work = tmp_path / 'resumed'
    train(config, str(work), **{'train_cfg.max_iters': 2, 'max_iters': 2})
    train(config, str(work), resume=True)
    full = torch.load(checkpoint, map_location='cpu', weights_only=False)
    resumed = torch.load(work / 'iter_4.pth', map_location='cpu', weights_only=False)
    for key in ('state_dict', 'ema_state_dict'):
        for name, value in full[key].items():
            assert torch.equal(value, resumed[key][name]), (key, name)


def test_sampling_is_per_index_and_reruns_fill_in(trained, tmp_path):
    config, checkpoint = trained
    kwargs = dict(num_samples=5, cfg_scale=2.0, solver='euler', num_steps=3, seed=3,
                  progress=False)
    a = sample_to_folder(config, checkpoint, TOKENIZER, CHECKPOINT, str(tmp_path / 'a'),
                         batch_size=2, **kwargs)
    sample_to_folder(config, checkpoint, TOKENIZER, CHECKPOINT, str(tmp_path / 'b'),
                     batch_size=5, **kwargs)
    images_a, labels_a = read_samples_npz(a['npz'])
    images_b, labels_b = read_samples_npz(str(tmp_path / 'b' / 'samples.npz'))
    assert images_a.dtype == np.uint8 and images_a.shape == (5, 16, 16, 3)
    assert np.array_equal(images_a, images_b) and np.array_equal(labels_a, labels_b)
    assert a['nfe'] == 6  # Euler-3, guided: two passes per step
    assert json.loads((tmp_path / 'a' / 'labels.json').read_text()) == labels_a.tolist()
    os.remove(tmp_path / 'a' / 'images' / '000003.png')
    again = sample_to_folder(config, checkpoint, TOKENIZER, CHECKPOINT, str(tmp_path / 'a'),
                             batch_size=2, **kwargs)
    assert again['made'] == 1
    assert np.array_equal(read_samples_npz(again['npz'])[0], images_a)
    with pytest.raises(ValueError, match=r'holds samples made with other settings '
                                         r'\(cfg_scale: 2\.0 there, 3\.0 now\)'):
        sample_to_folder(config, checkpoint, TOKENIZER, CHECKPOINT, str(tmp_path / 'a'),
                         **dict(kwargs, cfg_scale=3.0))


def test_a_tokenizer_of_other_latents_is_refused(trained, tmp_path):
    config, checkpoint = trained
    other = tmp_path / 'other.pth'
    other.write_bytes(Path(CHECKPOINT).read_bytes() + b'')
    torch.save(torch.load(CHECKPOINT, weights_only=False), other)  # same weights, new file
    with pytest.raises(ValueError, match=r'belongs to tokenizer .* a generator only works '
                                         'with the tokenizer it was trained for'):
        sample_to_folder(config, checkpoint, TOKENIZER, str(other), str(tmp_path / 'x'),
                         num_samples=1, progress=False)


def test_guidance_and_seeds_at_the_model(trained):
    config, checkpoint = trained
    model = load_generator(config, checkpoint)
    calls = []
    forward = model.generator.forward
    model.generator.forward = lambda x, t, y, *a: calls.append(len(x)) or forward(x, t, y, *a)
    gens = lambda n: [torch.Generator().manual_seed(i) for i in range(n)]  # noqa: E731
    one = model.sample([0, 1, 2], generator=gens(3), cfg_scale=1.0, num_steps=2)
    assert calls == [3, 3]  # CFG 1: one pass per step, no doubled batch
    calls.clear()
    guided = model.sample([0, 1, 2], generator=gens(3), cfg_scale=4.0, num_steps=2)
    assert calls == [6, 6]
    assert ((guided - one).abs().flatten(2).amax(2) > 0).all()  # every channel moves
    again = model.sample([0, 1], generator=gens(2), cfg_scale=4.0, num_steps=2)
    torch.testing.assert_close(again, guided[:2])  # sample i does not depend on its batch


@pytest.mark.parametrize('kwargs, match', [
    (dict(labels=[4]), r'class id 4 is out of range: the model has 4 classes'),
    (dict(cfg_scale=float('nan')), r'scale'),
    (dict(cfg_scale=-1.0), r'scale'),
    (dict(cfg_scale=2.0, guidance_interval=(0.6, 0.2)), r'interval'),
    (dict(solver='dpm'), r"unknown solver 'dpm'"),
])
def test_bad_sampling_arguments(trained, kwargs, match):
    model = load_generator(*trained)
    kwargs = dict(dict(labels=[0]), **kwargs)
    with pytest.raises(ValueError, match=match):
        model.sample(**kwargs)


def test_ddpm_cannot_respace_to_more_steps_than_the_process(trained, cache, tmp_path):
    config = write_config(tmp_path, cache,
                          diffusion="dict(_delete_=True, type='GaussianDiffusion')")
    cfg = Config.fromfile(config)
    cfg.model.solver = dict(type='DDPM', num_steps=4)
    model = build_model(cfg.model)
    assert model.generator.out_channels == 8  # learned variance
    with pytest.raises(ValueError, match=r'steps must be an int in \[1, 1000\]'):
        model.sample([0], num_steps=1001)


def test_a_solver_name_of_the_models_own_type_keeps_its_options(cache, tmp_path):
    """`--solver sde` on a generator that samples with EulerMaruyama(diffusion_norm=8)
    keeps the 8 (a bare name would build SiT's default of 1); another name does not."""
    cfg = Config.fromfile(write_config(tmp_path, cache))
    cfg.model.solver = dict(type='EulerMaruyama', num_steps=10, diffusion_norm=8.0)
    model = build_model(cfg.model)
    assert model.solver_config() == dict(type='EulerMaruyama', num_steps=10, diffusion_norm=8.0)
    for name in ('sde', 'EulerMaruyama', 'eulermaruyama'):
        assert model.choose_solver(name, 20).config() == dict(
            type='EulerMaruyama', num_steps=20, diffusion_norm=8.0)
    assert model.choose_solver('sde').config()['num_steps'] == 10
    assert model.choose_solver(None, 30).config()['diffusion_norm'] == 8.0
    assert model.choose_solver('euler', 5).config() == dict(type='Euler', num_steps=5)
    assert model.choose_solver(dict(type='EulerMaruyama'), 40).config()['diffusion_norm'] == 1.0


def test_latent_shape_of_another_cache_is_refused(cache, tmp_path):
    cfg = Config.fromfile(write_config(tmp_path, cache))
    cfg.model.latent_shape = (4, 8, 8)
    with pytest.raises(ValueError, match=r'configured for latents \(4, 8, 8\) but the cache '
                                         r'.* holds \(4, 4, 4\)'):
        build_model(cfg.model)


def test_dit_quickstart_without_the_tokenizer_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'Run `bash tools/quickstart.sh` first'):
        quickstart_tokenizer(str(tmp_path))


def test_dit_quickstart_table_reports_the_samples_grid_next_to_the_real_views():
    from vitok_mm.workflows.quickstart_dit import DitQuickstartResult, dit_results_table
    row = dict(probe_acc=0.5, nearest_view_psnr=17.25, latent_fd=160.04)
    summary = dict(results=dict(untrained=dict(row, blockiness=1.5),
                                cfg_1=dict(row, blockiness=1.234),
                                real_views=dict(row, blockiness=1.0)))
    header, rows = dit_results_table(DitQuickstartResult(summary, '', ''))
    assert header[-1] == 'grid'
    assert rows == [('untrained (noise)', '0.500', '17.25', '160.0', '1.50'),
                    ('trained, CFG 1', '0.500', '17.25', '160.0', '1.23'),
                    ('real views (fresh)', '0.500', '17.25', '160.0', '1.00')]
    # A DiT with patch > 1 is also judged on its own tokens' grid.
    for key, value in (('untrained', 1.2), ('cfg_1', 1.456), ('real_views', 1.01)):
        summary['results'][key]['blockiness_generator'] = value
    header, rows = dit_results_table(DitQuickstartResult(summary, '', ''))
    assert header[-2:] == ('grid', 'grid (DiT patch)')
    assert [row[-2:] for row in rows] == [('1.50', '1.20'), ('1.23', '1.46'), ('1.00', '1.01')]


def run_tool(tool: str, *args: str, plugin_dir: Optional[Path] = None):
    paths = [str(plugin_dir)] if plugin_dir else []
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths + [str(REPO)]))
    return subprocess.run([sys.executable, str(REPO / 'tools' / tool), *args],
                          capture_output=True, text=True, env=env, cwd=str(REPO), timeout=600)


def test_train_tool_killed_then_resumed_equals_one_run_ema_included(trained, cache, tmp_path):
    """A real crash: tools/train.py SIGKILLed after iteration 3 (checkpoint at 2), then
    --resume, ends where the uninterrupted in-process run ended, raw and EMA weights."""
    from tests.test_engine.test_training import PLUGIN
    config, checkpoint = trained
    (tmp_path / 'vitok_test_plugin.py').write_text(PLUGIN)
    crash = tmp_path / 'crash.py'
    hooks = [dict(h) for h in Config.fromfile(config).custom_hooks]  # the run's own EMA
    hooks.append(dict(type='KillAtIteration', iteration=3))
    crash.write_text(textwrap.dedent(f'''
        _base_ = ['{config}']
        custom_imports = dict(imports=['vitok_test_plugin'], allow_failed_imports=False)
        custom_hooks = {hooks!r}
    '''))
    work = str(tmp_path / 'work')
    crashed = run_tool('train.py', str(crash), '--work-dir', work, plugin_dir=tmp_path)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    assert not Path(work, 'iter_4.pth').exists() and Path(work, 'iter_2.pth').exists()
    resumed = run_tool('train.py', config, '--work-dir', work, '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 2' in resumed.stdout + resumed.stderr
    full = torch.load(checkpoint, map_location='cpu', weights_only=False)
    again = torch.load(Path(work, 'iter_4.pth'), map_location='cpu', weights_only=False)
    for key in ('state_dict', 'ema_state_dict'):
        assert full[key].keys() == again[key].keys()
        for name, value in full[key].items():
            assert torch.equal(value, again[key][name]), (key, name)


def test_a_cache_of_another_tokenizer_is_refused_before_training(trained, cache, tmp_path):
    """LatentCacheCheckHook: the model's statistics come from a loaded checkpoint, the
    training cache from another tokenizer; the runner stops before the first step."""
    config, checkpoint = trained
    other = tmp_path / 'other_cache'
    shutil.copytree(cache, other)
    manifest = json.loads((other / 'manifest.json').read_text())
    manifest['tokenizer_fingerprint'] = 'ab' * 32
    (other / 'manifest.json').write_text(json.dumps(manifest))
    cfg = load_config(config, {'model.data_preprocessor': dict(
        _delete_=True, type='LatentPreprocessor', num_channels=4),
        'train_dataloader.dataset.cache': str(other), 'load_from': checkpoint},
        work_dir=str(tmp_path / 'work'))
    runner = build_runner(cfg)
    with pytest.raises(ValueError, match=rf'the latent cache {other} belongs to tokenizer '
                                         r'abababababab\.\.\., but the latent statistics of '
                                         r'the loaded generator checkpoint belong to'):
        runner.train()
    assert runner.iter == 0


@pytest.mark.parametrize('args, message', [
    (['--cfg-scale', '-1'], 'guidance scale (cfg_scale, --cfg-scale) must be a finite'),
    (['--guidance-interval', '0.7', '0.2'], 'interval'),
    (['--sampler', 'dpm'], "unknown solver 'dpm'"),
    (['--classes', '9'], 'class id 9 is out of range: the model has 4 classes'),
    (['--num-samples', '0'], 'num_samples (0) and batch_size (32) must be positive'),
])
def test_sample_tool_reports_bad_input_in_one_line(trained, tmp_path, args, message):
    config, checkpoint = trained
    result = run_tool('sample_dit.py', config, checkpoint, '--tokenizer-config', TOKENIZER,
                      '--tokenizer-checkpoint', CHECKPOINT, '--out', str(tmp_path / 'out'),
                      '--num-samples', '2', *args)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ') and message in lines[0], \
        result.stderr[-2000:]


def test_sample_tool_names_a_missing_checkpoint(trained, tmp_path):
    config, _ = trained
    missing = str(tmp_path / 'nope.pth')
    result = run_tool('sample_dit.py', config, missing, '--tokenizer-config', TOKENIZER,
                      '--tokenizer-checkpoint', CHECKPOINT, '--out', str(tmp_path / 'out'))
    assert result.returncode == 1
    assert result.stderr.strip() == f'error: generator checkpoint {missing} does not exist.'
