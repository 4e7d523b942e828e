"""tools/sweep.py and tools/plot_sweep.py: a derived config per point for every axis kind,
a 2x2 micro sweep end to end (table columns, skip of finished points, resume of an
unfinished one), a failed point recorded while the sweep goes on, Slurm submission
through submitit's debug executor, and plots with correlations checked against scipy."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from vitok_mm.apis.sweep import (
    Sweep,
    axis_options,
    expand_points,
    load_sweep,
    run_sweep,
    submit_slurm,
    write_point_config,
)
from vitok_mm.visualization.sweep_plots import plot_sweep, spearman

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
    assert set(records) == {'psnr', 'ssim', 'gfid'}
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
    ('configs/sweeps/quickstart_speckle.py', 2, (2048, 2048)),
])
def test_the_shipped_sweeps_describe_the_papers_grids(tmp_path, path, points, e_range):
    """Each shipped sweep's points build (on the meta device) with the E the paper's grid
    spans; nothing is trained."""
    from vitok_mm.apis.sweep import describe
    from vitok_mm.utils import register_all_modules
    register_all_modules()
    sweep = load_sweep(str(REPO / path), work_dir=str(tmp_path))
    assert len(sweep.points) == points
    described = [describe(write_point_config(sweep, p)) for p in sweep.points]
    assert (min(d['E'] for d in described), max(d['E'] for d in described)) == e_range
