"""tools/sweep.py and tools/plot_sweep.py: a derived config per point for every axis kind,
a 2x2 micro sweep end to end (table columns, skip of finished points, resume of an
unfinished one), a failed point recorded while the sweep goes on, Slurm submission
through submitit's debug executor, the generator stage (its bookkeeping, and the DiT probe
end to end on a micro tokenizer), and plots with correlations checked against scipy."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from vitok_mm.visualization.sweep_plots import plot_sweep, spearman
from vitok_mm.workflows.sweep import (
    Sweep,
    axis_options,
    expand_points,
    generator_patch,
    load_sweep,
    run_generator_stage,
    run_sweep,
    submit_slurm,
    write_point_config,
)

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / 'configs/quickstart/vitok_tiny_64p.py'
#: A micro training run: two 1-block towers, 4 iterations of batch 4.
MICRO = {
    'model.encoder.width': 32, 'model.encoder.depth': 1, 'model.encoder.num_heads': 2,
    'model.decoder.width': 32, 'model.decoder.depth': 1, 'model.decoder.num_heads': 2,
    'max_iters': 4, 'train_cfg.max_iters': 4, 'train_cfg.val_interval': 100,
    'param_scheduler': [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=4)],
    'default_hooks.checkpoint.interval': 2, 'default_hooks.logger.interval': 2,
    'default_hooks.visualization.interval': 0, 'train_dataloader.batch_size': 4,
    'train_dataloader.num_workers': 0, 'val_dataloader.num_workers': 0,
}


def write_sweep(tmp_path, axes='dict(patch_size=[8, 16], latent_channels=[4, 8])', extra=''):
    path = tmp_path / 'micro_sweep.py'
    path.write_text(f"base = {str(QUICKSTART)!r}\naxes = {axes}\ncfg_options = {MICRO!r}\n"
                    f"work_dir = {str(tmp_path / 'out')!r}\ndata = {str(tmp_path / 'data')!r}\n"
                    + extra)
    return str(path)


@pytest.mark.parametrize('axis, value, key, expected', [
    ('patch_size', 4, 'model.patch_size', 4),
    ('latent_channels', 32, 'model.bottleneck.latent_channels', 32),
    ('encoder', 'B', 'model.encoder.depth', 12),
    ('decoder', 'L', 'model.decoder.width', 1152),
    ('precision', 'fp32', 'optim_wrapper.dtype', None),
    ('precision', 'bf16', 'optim_wrapper.dtype', 'bfloat16'),
    ('model.decoder.mlp_ratio', 2.0, 'model.decoder.mlp_ratio', 2.0),
    ('tag', 'baseline', 'model.patch_size', 8),  # a label: the base's value stays
])
def test_each_axis_kind_sets_its_config_values(tmp_path, axis, value, key, expected):
    assert axis_options(axis, value).get(key, expected) == expected
    sweep = Sweep(path='s.py', base=str(QUICKSTART), axes={axis: [value]},
                  work_dir=str(tmp_path))
    point = sweep.points[0]
    cfg = Config.fromfile(write_point_config(sweep, point))
    node = cfg
    for part in key.split('.'):
        node = node[part]
    assert node == expected
    # Everything else is the base's.
    assert cfg.train_cfg.max_iters == Config.fromfile(str(QUICKSTART)).train_cfg.max_iters


def test_points_are_the_product_or_the_listed_ones(tmp_path):
    names = [p.name for p in expand_points(dict(patch_size=[4, 8], latent_channels=[4, 16]))]
    assert names == ['p4_c4', 'p4_c16', 'p8_c4', 'p8_c16']
    path = tmp_path / 'pairs.py'
    path.write_text(f"base = {str(QUICKSTART)!r}\n"
                    "points = [dict(encoder='S', decoder='B'), dict(encoder='B', decoder='L')]\n")
    sweep = load_sweep(str(path))
    assert [p.name for p in sweep.points] == ['encS_decB', 'encB_decL']
    assert sweep.axes == dict(encoder=['S', 'B'], decoder=['B', 'L'])


@pytest.mark.parametrize('axes, message', [
    ("dict(width=[1])", "unknown sweep axis 'width'"),
    ("dict(encoder=['XL'])", "axis encoder: unknown tower size 'XL'"),
    ("dict(precision=['fp16'])", "axis precision: 'fp16'; choose bf16 or fp32"),
    ("dict(patch_size=[])", "axis 'patch_size' has no values"),
])
def test_bad_sweeps_are_refused_before_anything_runs(tmp_path, axes, message):
    with pytest.raises(ValueError, match=message):
        load_sweep(write_sweep(tmp_path, axes))


def test_a_micro_sweep_runs_end_to_end_skips_finished_points_and_resumes(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path))
    rows = run_sweep(sweep, log=lambda line: None)
    assert [r['point'] for r in rows] == ['p8_c4', 'p8_c8', 'p16_c4', 'p16_c8']
    assert all(r['status'] == 'done' for r in rows)
    with open(tmp_path / 'out' / 'sweep.csv', newline='') as f:
        table = list(csv.DictReader(f))
    assert list(table[0])[:4] == ['point', 'status', 'patch_size', 'latent_channels']
    for column in ('params_m', 'gflops', 'E', 'tokens', 'train_seconds', 'iters', 'psnr',
                   'ssim'):
        assert column in table[0]
    # E = tokens x channels: (64/8)^2 x 4 and (64/16)^2 x 8.
    assert (int(table[0]['E']), int(table[0]['tokens'])) == (256, 64)
    assert (int(table[3]['E']), int(table[3]['tokens'])) == (128, 16)
    assert all(int(r['iters']) == 4 for r in table)
    assert json.loads((tmp_path / 'out' / 'sweep.json').read_text())['rows'][1]['psnr'] > 5

    # A second run trains nothing: every point is done.
    calls = []
    run_sweep(sweep, log=lambda line: None, train=lambda *a: calls.append(a) or {})
    assert calls == []
    # An unfinished point (no result, a checkpoint at iteration 2) resumes from it.
    point_dir = tmp_path / 'out' / 'points' / 'p16_c8'
    for path in point_dir.rglob('*'):
        if path.is_file() and path.name not in ('iter_2.pth', 'last_checkpoint'):
            path.unlink()
    (point_dir / 'last_checkpoint').write_text(str(point_dir / 'iter_2.pth'))
    logs = []
    rows = run_sweep(sweep, log=logs.append)
    assert logs[:4] == ['[1/4] p8_c4: done, skipped', '[2/4] p8_c8: done, skipped',
                        '[3/4] p16_c4: done, skipped',
                        f'[4/4] p16_c8: to run ({tmp_path}/out/configs/p16_c8.py)']
    log_text = ''.join(p.read_text() for p in point_dir.rglob('*.log'))
    assert 'resumed' in log_text.lower() and 'iter: 2' in log_text
    assert rows[3]['status'] == 'done' and rows[3]['iters'] == 4


def test_a_failed_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, "dict(patch_size=[8, 16], latent_channels=[4])"))

    def train(config, work_dir, launcher):
        if 'p8_' in config:
            raise RuntimeError('out of memory on this point')
        return dict(train_seconds=1.0, iters=4, metrics=dict(psnr=20.0))

    rows = run_sweep(sweep, log=lambda line: None, train=train)
    assert [(r['point'], r['status']) for r in rows] == [('p8_c4', 'failed'), ('p16_c4', 'done')]
    assert rows[0]['error'] == 'RuntimeError: out of memory on this point'
    assert rows[1]['psnr'] == 20.0 and rows[1]['E'] == 64
    result = json.loads((tmp_path / 'out/points/p8_c4/result.json').read_text())
    assert 'Traceback' in result['traceback']
    # The failed point is retried by the next run, the done one is not.
    retried = []
    run_sweep(sweep, log=lambda line: None,
              train=lambda config, *a: retried.append(Path(config).stem) or train(config, *a))
    assert retried == ['p8_c4']


def test_slurm_points_go_through_submitit(tmp_path):
    submitit = pytest.importorskip('submitit')
    sweep = load_sweep(write_sweep(tmp_path, "dict(patch_size=[16], latent_channels=[4])"))
    executor = submitit.AutoExecutor(folder=str(tmp_path / 'slurm'), cluster='debug')
    jobs = submit_slurm(sweep, sweep.points, log=lambda line: None, executor=executor)
    result = jobs[0].result()  # the debug executor runs the job here
    assert result['status'] == 'done' and result['iters'] == 4
    # On preemption submitit asks the job for its requeue: the same point again.
    requeue = jobs[0].submission().function.checkpoint()
    assert requeue.function.point.name == 'p16_c4'


def synthetic_table(path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for patch in (8, 16, 32):
        for c in (4, 8, 16, 32):
            e = (256 // patch) ** 2 * c
            rows.append(dict(point=f'p{patch}_c{c}', status='done', patch_size=patch,
                             latent_channels=c, E=e, psnr=15 + 2 * np.log10(e) + rng.normal(),
                             ssim=0.5 + 0.05 * np.log10(e), gfid=(np.log10(e) - 3) ** 2 + 5))
    rows.append(dict(point='p4_c4', status='failed', patch_size=4, latent_channels=4))
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_plots_and_their_correlations(tmp_path):
    from scipy import stats
    table = tmp_path / 'sweep.csv'
    synthetic_table(table)
    records = {r['metric']: r for r in plot_sweep(str(table), str(tmp_path / 'plots'))}
    assert set(records) == {'psnr', 'ssim', 'gfid', 'reconstruction_and_generation'}
    # The side-by-side figure fits the same lines as the single ones.
    panels = records['reconstruction_and_generation']['panels']
    assert [p['metric'] for p in panels] == ['psnr', 'gfid']
    assert panels[0]['fit'] == pytest.approx(records['psnr']['fit'])
    assert panels[1]['vertex_log10_E'] == pytest.approx(records['gfid']['vertex_log10_E'])
    for record in records.values():
        assert all(Path(f).stat().st_size > 1000 for f in record['files'])
        assert {Path(f).suffix for f in record['files']} == {'.png', '.pdf'}
    with open(table) as f:
        done = [r for r in csv.DictReader(f) if r['status'] == 'done']
    log_e = np.log10([float(r['E']) for r in done])
    psnr = [float(r['psnr']) for r in done]
    assert records['psnr']['points'] == 12  # the failed point is left out
    assert records['psnr']['spearman'] == pytest.approx(stats.spearmanr(log_e, psnr)[0])
    assert records['psnr']['pearson'] == pytest.approx(stats.pearsonr(log_e, psnr)[0])
    assert records['ssim']['spearman'] == pytest.approx(1.0)
    assert records['gfid']['vertex_log10_E'] == pytest.approx(3.0, abs=1e-6)  # the optimum
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(
        stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4])[0])


def test_the_tools_answer_in_one_line(tmp_path):
    table = tmp_path / 'sweep.csv'
    synthetic_table(table)
    done = subprocess.run([sys.executable, 'tools/plot_sweep.py', str(table)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert 'Spearman rho = 1.000 against log E' in done.stdout
    dry = subprocess.run([sys.executable, 'tools/sweep.py', write_sweep(tmp_path), '--dry-run'],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0, dry.stderr
    assert '[1/4] p8_c4: would run' in dry.stdout
    assert (tmp_path / 'out' / 'configs' / 'p16_c8.py').is_file()
    missing = subprocess.run([sys.executable, 'tools/sweep.py', 'configs/sweeps/nope.py'],
                             cwd=REPO, capture_output=True, text=True, timeout=300)
    assert missing.returncode == 1
    assert missing.stderr.strip() == ('error: sweep config configs/sweeps/nope.py does not '
                                      'exist (the sweeps live in configs/sweeps/).')


@pytest.mark.parametrize('path, points, e_range', [
    ('configs/sweeps/e_sweep_256p.py', 15, (256, 65536)),
    ('configs/sweeps/e_sweep_512p.py', 3, (4096, 65536)),
    ('configs/sweeps/enc_dec_scaling_256p.py', 6, (4096, 4096)),
    ('configs/sweeps/e_sweep_quickstart.py', 12, (64, 8192)),
    ('configs/sweeps/quickstart_speckle.py', 8, (2048, 2048)),
    ('configs/sweeps/e_sweep_quickstart_generation.py', 6, (256, 16384)),
])
def test_the_shipped_sweeps_describe_the_papers_grids(tmp_path, path, points, e_range):
    """Each shipped sweep's points build (on the meta device) with the E the paper's grid
    spans; nothing is trained."""
    from vitok_mm.utils import register_all_modules
    from vitok_mm.workflows.sweep import describe
    register_all_modules()
    sweep = load_sweep(str(REPO / path), work_dir=str(tmp_path))
    assert len(sweep.points) == points
    described = [describe(write_point_config(sweep, p)) for p in sweep.points]
    assert (min(d['E'] for d in described), max(d['E'] for d in described)) == e_range


def test_point_names_leave_out_lists_and_refuse_duplicates(tmp_path):
    path = tmp_path / 'named.py'
    path.write_text(f"base = {str(QUICKSTART)!r}\n"
                    "points = [{'tag': 'ema', 'custom_hooks': [dict(type='EMAHook')]},\n"
                    "          {'model.sample_posterior': False}]\n")
    sweep = load_sweep(str(path))
    assert [p.name for p in sweep.points] == ['ema', 'sample_posteriorFalse']
    cfg = Config.fromfile(write_point_config(sweep, sweep.points[0]))
    assert cfg.custom_hooks == [dict(type='EMAHook')]
    path.write_text(f"base = {str(QUICKSTART)!r}\n"
                    "points = [{'custom_hooks': [dict(type='EMAHook')]},\n"
                    "          {'custom_hooks': []}]\n")
    with pytest.raises(ValueError, match=r"points \[''\] have the same name .* give each "
                                         r"point a distinct `tag`"):
        load_sweep(str(path))


def test_generator_patch_keeps_the_token_count():
    assert generator_patch(256, 64) == 2
    assert generator_patch(64, 64) == 1
    assert generator_patch(1024, 16) == 8
    with pytest.raises(ValueError, match='p4_c4: a latent grid of 128 positions cannot be '
                                         'patched into 64 generator tokens'):
        generator_patch(128, 64, 'p4_c4')


def test_the_generator_stage_runs_once_per_tokenizer_and_alone_when_it_failed(tmp_path):
    extra = ("generator = dict(type='probe', config="
             f"{str(REPO / 'configs/quickstart/dit_tiny_64p.py')!r}, tokens=16)\n"
             "table = 'generation'\n")
    sweep = load_sweep(write_sweep(tmp_path, "dict(patch_size=[8, 16], latent_channels=[4])",
                                   extra))
    trained, generated = [], []

    def train(config, work_dir, launcher):
        trained.append(Path(config).stem)
        return dict(train_seconds=1.0, iters=4, metrics=dict(psnr=20.0))

    def generate(sweep, point, config):
        generated.append(point.name)
        if point.name == 'p16_c4' and generated.count('p16_c4') == 1:
            raise RuntimeError('the DiT diverged')
        return dict(metrics=dict(probe_accuracy=0.5, nearest_psnr=15.0), seconds=2.0)

    rows = run_sweep(sweep, log=lambda line: None, train=train, generate=generate)
    assert trained == ['p8_c4', 'p16_c4'] and generated == ['p8_c4', 'p16_c4']
    assert [(r['point'], r['status']) for r in rows] == [('p8_c4', 'done'),
                                                         ('p16_c4', 'failed')]
    assert rows[0]['psnr'] == 20.0 and rows[0]['probe_accuracy'] == 0.5
    assert rows[0]['generation_seconds'] == 2.0
    assert rows[1]['error'] == 'generator stage: RuntimeError: the DiT diverged'
    assert rows[1]['psnr'] == 20.0  # the tokenizer's metrics stay
    assert (tmp_path / 'out' / 'generation.csv').is_file()
    assert not (tmp_path / 'out' / 'sweep.csv').exists()
    # The next run retries only the failed generator stage; the tokenizer is not retrained.
    logs = []
    rows = run_sweep(sweep, log=logs.append, train=train, generate=generate)
    assert trained == ['p8_c4', 'p16_c4'] and generated == ['p8_c4', 'p16_c4', 'p16_c4']
    assert logs[1].startswith('[2/2] p16_c4: to run (generator stage)')
    assert [r['status'] for r in rows] == ['done', 'done'] and 'error' not in rows[1]
    # A sweep without the stage sees the same points as done.
    plain = load_sweep(write_sweep(tmp_path, "dict(patch_size=[8, 16], latent_channels=[4])"))
    run_sweep(plain, log=lambda line: None, train=train, generate=generate)
    assert len(trained) == 2 and len(generated) == 3


def test_the_generator_stage_needs_a_known_type_and_config(tmp_path):
    with pytest.raises(ValueError, match="generator type 'gfid' is not known; choose from "
                                         "probe"):
        load_sweep(write_sweep(tmp_path, extra="generator = dict(type='gfid', config='x')\n"))
    with pytest.raises(FileNotFoundError, match='its generator config .*nope.py does not exist'):
        load_sweep(write_sweep(tmp_path, extra="generator = dict(config='nope.py')\n"))


#: A micro DiT for the probe: one block, 4 steps, a 2-step sampler (Euler-Maruyama, as the
#: quick start's, with a diffusion norm that 2 steps allow).
MICRO_DIT = {
    'model.generator.width': 32, 'model.generator.depth': 1, 'model.generator.num_heads': 2,
    'model.solver.num_steps': 2, 'model.solver.diffusion_norm': 1.0, 'max_iters': 4,
    'train_cfg.max_iters': 4,
    'train_cfg.val_interval': 100, 'default_hooks.checkpoint.interval': 4,
    'param_scheduler': [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=4)],
}


def test_the_probe_generator_stage_end_to_end_on_a_micro_tokenizer(tmp_path):
    """A micro tokenizer (p16: a 4x4 grid of 4 channels) through the DiT probe with 4
    generator tokens: the DiT patch is 2, and every probe score lands in the table."""
    extra = ("generator = dict(type='probe', config="
             f"{str(REPO / 'configs/quickstart/dit_tiny_64p.py')!r}, tokens=4, views=2, "
             f"reference_views=1, samples_per_class=1, cfg_options={MICRO_DIT!r})\n")
    sweep = load_sweep(write_sweep(tmp_path, "dict(patch_size=[16], latent_channels=[4])",
                                   extra))
    rows = run_sweep(sweep, log=lambda line: None)
    assert rows[0]['status'] == 'done', rows[0].get('error')
    for key in ('probe_accuracy', 'nearest_psnr', 'latent_fd', 'probe_accuracy_real',
                'nearest_psnr_real'):
        assert isinstance(rows[0][key], float), key
    assert 0 <= rows[0]['probe_accuracy'] <= 1 and rows[0]['nearest_psnr'] > 0
    summary = json.loads((tmp_path / 'out/points/p16_c4/generator/summary.json').read_text())
    assert summary['tokenizer']['checkpoint'].endswith('p16_c4/iter_4.pth')
    assert summary['views_per_class'] == 2 and summary['iters'] == 4
    for scores in summary['results'].values():  # the grid per class, where flat photos show
        per_class = scores['blockiness_per_class']
        assert list(per_class) == summary['classes']
        assert min(per_class.values()) <= scores['blockiness'] <= max(per_class.values())
    dumped = Config.fromfile(str(tmp_path / 'out/points/p16_c4/generator/train/'
                                 'dit_tiny_64p.py'))
    assert dumped.model.generator.patch_size == 2
    assert tuple(dumped.model.latent_shape) == (4, 4, 4)
    # The stage without the tokenizer's checkpoint names the folder.
    for path in (tmp_path / 'out/points/p16_c4').glob('iter_*.pth'):
        path.unlink()
    with pytest.raises(FileNotFoundError, match='p16_c4 has no iter_\\*.pth checkpoint'):
        run_generator_stage(sweep, sweep.points[0], write_point_config(sweep, sweep.points[0]))


def test_a_preemption_stops_the_sweep_and_a_rerun_resumes_there(tmp_path):
    from vitok_mm.engine import PreemptedError
    sweep = load_sweep(write_sweep(tmp_path, "dict(patch_size=[8, 16], latent_channels=[4])"))
    trained = []

    def preempted(config, work_dir, launcher):
        trained.append(Path(config).stem)
        raise PreemptedError('SIGTERM', 2, f'{work_dir}/iter_2.pth')

    with pytest.raises(PreemptedError, match='SIGTERM received'):
        run_sweep(sweep, log=lambda line: None, train=preempted)
    assert trained == ['p8_c4']  # the second point never started
    result = json.loads((tmp_path / 'out/points/p8_c4/result.json').read_text())
    assert result['status'] == 'failed' and result['error'].startswith('PreemptedError')
    rows = run_sweep(sweep, log=lambda line: None,
                     train=lambda config, *a: trained.append(Path(config).stem)
                     or dict(train_seconds=1.0, iters=4, metrics={}))
    assert trained == ['p8_c4', 'p8_c4', 'p16_c4']
    assert [r['status'] for r in rows] == ['done', 'done']
