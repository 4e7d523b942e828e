"""Scaling sweeps: one derived config per point of a grid, trained, evaluated and tabled.

A sweep config is a Python file (read with MMEngine's ``Config``)::

    base = '../quickstart/vitok_tiny_64p.py'     # relative to the sweep config
    axes = dict(patch_size=[4, 8, 16], latent_channels=[4, 8, 16, 32])
    # or points = [dict(encoder='S', decoder='B'), dict(encoder='B', decoder='L')]
    cfg_options = {'train_cfg.max_iters': 600}   # for every point
    work_dir = 'work_dirs/sweeps/e_sweep_quickstart'
    data = 'data/samples'   # optional: lay out the bundled photos there, read every split

Axes (:func:`axis_options`): ``patch_size``, ``tubelet_size``, ``latent_channels``,
``encoder`` / ``decoder`` (a tower letter of the paper's Table 1: S, B, L), ``precision``
(``'bf16'`` or ``'fp32'``, Table 2), ``tag`` (a label that sets nothing), or any dotted
config key (``'model.decoder.depth'``).
The points are the grid's product. Each gets ``<work_dir>/configs/<point>.py``, a config
that inherits the base and sets the point's values (visible on disk, rerunnable alone
with ``tools/train.py``), and is trained in ``<work_dir>/points/<point>``:

- locally, one after another, in this process; or on Slurm, one job per point through
  ``submitit`` (each job runs the training on the ``slurm`` launcher and is requeued
  when preempted or timed out, resuming from its newest checkpoint);
- a point with a ``result.json`` of status ``done`` is skipped; an unfinished one
  resumes from its newest checkpoint;
- after training its test sets are evaluated (the config's test loop and metrics);
- a point that fails is recorded with its error and the sweep goes on.

The table (``<work_dir>/sweep.csv`` and ``sweep.json``) has one row per point: the axis
values, parameters, GFLOPs (encode + decode MACs, the paper's count), E (floats of the
latent), tokens, training seconds and iterations, every metric, status and error.
``tools/plot_sweep.py`` draws the paper's figures from it.
"""
import csv
import itertools
import json
import os
import os.path as osp
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from mmengine.config import Config

#: The paper's tower sizes (Table 1), for the ``encoder`` / ``decoder`` axes.
from vitok_mm.models.variants import TOWER_SIZES

#: The named axes and what they set.
NAMED_AXES = ('patch_size', 'tubelet_size', 'latent_channels', 'encoder', 'decoder',
              'precision', 'tag')
PRECISIONS = dict(bf16='bfloat16', fp32=None)
RESULT_FILE = 'result.json'
#: Columns of the table before the axes and the metrics.
TABLE_COLUMNS = ('point', 'status', 'params_m', 'gflops', 'E', 'tokens', 'train_seconds',
                 'iters')


@dataclass
class SweepPoint:
    """One point of a sweep: its name, its axis values and the config options they set."""
    name: str
    values: Dict[str, Any]
    options: Dict[str, Any]


@dataclass
class Sweep:
    """A loaded sweep config."""
    path: str
    base: str  # absolute path of the base config
    axes: Dict[str, List[Any]]
    work_dir: str
    cfg_options: Dict[str, Any] = field(default_factory=dict)
    data: Optional[str] = None
    slurm: Dict[str, Any] = field(default_factory=dict)  # submitit executor parameters
    explicit: Optional[List[Dict[str, Any]]] = None  # listed points instead of a product

    @property
    def points(self) -> List[SweepPoint]:
        if self.explicit is not None:
            return [_point(values) for values in self.explicit]
        return expand_points(self.axes)


def load_sweep(path: str, work_dir: Optional[str] = None) -> Sweep:
    """Read a sweep config.

    Raises:
        FileNotFoundError: the sweep config or its base is missing.
        ValueError: ``base`` or ``axes`` is missing or an axis has no values.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'sweep config {path} does not exist (the sweeps live in '
                                'configs/sweeps/).')
    cfg = Config.fromfile(path)
    if 'base' not in cfg or ('axes' not in cfg) == ('points' not in cfg):
        raise ValueError(f'{path} must set `base` (the config every point inherits) and '
                         'either `axes` (dict of axis -> list of values: their product) or '
                         '`points` (a list of dicts of axis -> value).')
    base = osp.normpath(osp.join(osp.dirname(osp.abspath(path)), cfg.base))
    if not osp.isfile(base):
        raise FileNotFoundError(f'{path}: its base config {base} does not exist.')
    explicit = None
    if 'points' in cfg:
        explicit = [dict(values) for values in cfg.points]
        axes: Dict[str, List[Any]] = {}
        for values in explicit:
            for key, value in values.items():
                axes.setdefault(key, [])
                if value not in axes[key]:
                    axes[key].append(value)
    else:
        axes = {key: list(values) for key, values in cfg.axes.items()}
    for key, values in axes.items():
        if not values:
            raise ValueError(f'{path}: axis {key!r} has no values.')
        axis_options(key, values[0])  # an unknown axis name fails here, before any run
    return Sweep(path=path, base=base, axes=axes,
                 work_dir=work_dir or cfg.get('work_dir') or osp.join(
                     'work_dirs', 'sweeps', osp.splitext(osp.basename(path))[0]),
                 cfg_options=dict(cfg.get('cfg_options', {})), data=cfg.get('data'),
                 slurm=dict(cfg.get('slurm', {})), explicit=explicit)


def axis_options(axis: str, value: Any) -> Dict[str, Any]:
    """The config options (dotted keys) an axis value sets.

    Raises:
        ValueError: an unknown axis name or value.
    """
    if axis == 'patch_size':
        return {'model.patch_size': int(value)}
    if axis == 'tubelet_size':
        return {'model.tubelet_size': None if value is None else int(value)}
    if axis == 'latent_channels':
        return {'model.bottleneck.latent_channels': int(value)}
    if axis in ('encoder', 'decoder'):
        if value not in TOWER_SIZES:
            raise ValueError(f'axis {axis}: unknown tower size {value!r}; choose from '
                             f'{", ".join(TOWER_SIZES)} (Table 1).')
        return {f'model.{axis}.{key}': size for key, size in TOWER_SIZES[value].items()}
    if axis == 'precision':
        if value not in PRECISIONS:
            raise ValueError(f'axis precision: {value!r}; choose bf16 or fp32.')
        return {'optim_wrapper.type': 'GuardedOptimWrapper',
                'optim_wrapper.dtype': PRECISIONS[value]}
    if axis == 'tag':  # a label of the point, setting nothing
        return {}
    if '.' in axis:
        return {axis: value}
    raise ValueError(f'unknown sweep axis {axis!r}: use one of {", ".join(NAMED_AXES)} or a '
                     "dotted config key such as 'model.decoder.depth'.")


def _short(axis: str) -> str:
    return dict(patch_size='p', tubelet_size='q', latent_channels='c', encoder='enc',
                decoder='dec', precision='', tag='').get(axis, axis.split('.')[-1])


def _point(values: Dict[str, Any]) -> SweepPoint:
    options: Dict[str, Any] = {}
    for axis, value in values.items():
        options.update(axis_options(axis, value))
    name = '_'.join(f'{_short(axis)}{value}' for axis, value in values.items())
    return SweepPoint(name=name.replace('/', '-'), values=dict(values), options=options)


def expand_points(axes: Dict[str, Sequence[Any]]) -> List[SweepPoint]:
    """The product of the axes, in order (the last axis fastest)."""
    return [_point(dict(zip(axes, combo))) for combo in itertools.product(*axes.values())]


def nested(options: Dict[str, Any]) -> Dict[str, Any]:
    """Dotted keys as nested dicts: ``{'model.patch_size': 8}`` -> ``{'model':
    {'patch_size': 8}}``."""
    out: Dict[str, Any] = {}
    for key, value in options.items():
        node = out
        *parents, leaf = key.split('.')
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def write_point_config(sweep: Sweep, point: SweepPoint) -> str:
    """``<work_dir>/configs/<point>.py``: the base plus the sweep's and the point's values."""
    folder = osp.join(sweep.work_dir, 'configs')
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, f'{point.name}.py')
    options = dict(sweep.cfg_options)
    if sweep.data:
        from .quickstart import data_root_options
        options = data_root_options(osp.abspath(sweep.data), options)
    options.update(point.options)
    lines = [f'# Sweep {osp.basename(sweep.path)}, point {point.name}: '
             + ', '.join(f'{k}={v!r}' for k, v in point.values.items()),
             '# Written by tools/sweep.py; train it alone with tools/train.py.',
             f'_base_ = {sweep.base!r}', '']
    for key, value in nested(options).items():
        lines.append(f'{key} = {value!r}')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def point_dir(sweep: Sweep, point: SweepPoint) -> str:
    return osp.join(sweep.work_dir, 'points', point.name)


def read_result(sweep: Sweep, point: SweepPoint) -> Optional[dict]:
    path = osp.join(point_dir(sweep, point), RESULT_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _write_result(sweep: Sweep, point: SweepPoint, result: dict) -> None:
    folder = point_dir(sweep, point)
    os.makedirs(folder, exist_ok=True)
    partial = osp.join(folder, RESULT_FILE + '.part')
    with open(partial, 'w') as f:
        json.dump(result, f, indent=2)
    os.replace(partial, osp.join(folder, RESULT_FILE))


def describe(config: str) -> Dict[str, Any]:
    """Parameters, GFLOPs, E and tokens of a config's model at its ``input_shape``
    (counted on the meta device)."""
    from vitok_mm.analysis import build_on_meta, count_complexity, input_shape_of
    cfg = Config.fromfile(config)
    shape = input_shape_of(cfg)
    model = build_on_meta(cfg.model)
    complexity = count_complexity(model, shape)
    info = model.latent_info(shape)
    return dict(params_m=round(complexity.params / 1e6, 4),
                gflops=round(complexity.gflops, 4), E=info.E, tokens=info.tokens)


def train_and_test(config: str, work_dir: str, launcher: str = 'none') -> Dict[str, Any]:
    """Train ``config`` in ``work_dir`` (resuming its newest checkpoint), then run its test
    sets: ``{'train_seconds', 'iters', 'metrics': {metric: value}, 'notes'}``."""
    from .runner import build_runner, load_config
    from .testing import collect_test_results, configure_test_sets
    start = time.perf_counter()
    cfg = load_config(config, work_dir=work_dir, resume='auto', launcher=launcher)
    notes = configure_test_sets(cfg)  # the test loop is built when first used, after training
    runner = build_runner(cfg)
    runner.train()
    seconds = time.perf_counter() - start
    runner.test()
    rows, more = collect_test_results(runner.test_loop)
    metrics = {}
    for set_name, row in rows.items():
        prefix = '' if len(rows) == 1 else f'{set_name}/'
        metrics.update({f'{prefix}{k}': v for k, v in row.items() if k != 'num_images'})
    return dict(train_seconds=round(seconds, 1), iters=int(runner.iter), metrics=metrics,
                notes=notes + more)


def run_point(sweep: Sweep, point: SweepPoint, launcher: str = 'none',
              train: Callable[..., Dict[str, Any]] = train_and_test) -> dict:
    """Train and evaluate one point; its result (``status`` ``done`` or ``failed`` with
    the error) is written to ``result.json`` either way and returned."""
    config = write_point_config(sweep, point)
    result = dict(point=point.name, values=point.values, config=config)
    try:
        result.update(describe(config))
        result.update(train(config, point_dir(sweep, point), launcher))
        result['status'] = 'done'
    except Exception as error:  # noqa: BLE001 - any failure is recorded, the sweep goes on
        result.update(status='failed', error=f'{type(error).__name__}: {error}',
                      traceback=traceback.format_exc(limit=8))
    if int(os.environ.get('SLURM_PROCID', os.environ.get('RANK', 0))) == 0:
        _write_result(sweep, point, result)  # one writer per point, whatever the ranks
    return result


def run_sweep(sweep: Sweep, launcher: str = 'local', dry_run: bool = False,
              log: Callable[[str], None] = print,
              train: Callable[..., Dict[str, Any]] = train_and_test) -> List[dict]:
    """Run every unfinished point (``launcher``: ``'local'`` or ``'slurm'``) and write the
    table; returns its rows. ``dry_run`` writes the point configs and lists what would run.
    """
    if launcher not in ('local', 'slurm'):
        raise ValueError(f"launcher must be 'local' or 'slurm', got {launcher!r}.")
    if sweep.data and not dry_run:
        from .samples import build_sample_folders
        build_sample_folders(sweep.data)
    points = sweep.points
    todo = []
    for index, point in enumerate(points, 1):
        done = read_result(sweep, point)
        if done and done.get('status') == 'done':
            log(f'[{index}/{len(points)}] {point.name}: done, skipped')
            continue
        todo.append(point)
        log(f'[{index}/{len(points)}] {point.name}: '
            + ('would run' if dry_run else 'to run') + f' ({write_point_config(sweep, point)})')
    if dry_run:
        return []
    if launcher == 'slurm':
        submit_slurm(sweep, todo, log)
        return collect_table(sweep)
    for index, point in enumerate(todo, 1):
        log(f'running {point.name} ({index}/{len(todo)} to run)')
        result = run_point(sweep, point, 'none', train)
        log(f'{point.name}: {result["status"]}'
            + (f' ({result["error"]})' if result['status'] == 'failed' else ''))
    return collect_table(sweep)


class _SlurmPoint:
    """A point as a submitit job; requeued (resuming) when Slurm preempts or times it out."""

    def __init__(self, sweep: Sweep, point: SweepPoint):
        self.sweep, self.point = sweep, point

    def __call__(self) -> dict:
        # Each Slurm task of the job trains as one rank; outside Slurm (submitit's local
        # and debug executors) the job trains in one process.
        launcher = 'slurm' if 'SLURM_PROCID' in os.environ else 'none'
        return run_point(self.sweep, self.point, launcher=launcher)

    def checkpoint(self, *args, **kwargs):
        import submitit
        # Called by submitit on the preemption / timeout signal: the job is requeued and
        # train_and_test resumes from the newest checkpoint of the point's work dir.
        return submitit.helpers.DelayedSubmission(_SlurmPoint(self.sweep, self.point))


def submit_slurm(sweep: Sweep, points: Sequence[SweepPoint], log=print, executor=None):
    """One Slurm job per point through ``submitit`` (``sweep.slurm``: its executor
    parameters, e.g. ``dict(slurm_partition='gpu', gpus_per_node=8, timeout_min=2880)``)."""
    if executor is None:
        try:
            import submitit
        except ImportError as error:
            raise ValueError('--launcher slurm submits through submitit: pip install '
                             'submitit (or pip install -e .[sweep]).') from error
        executor = submitit.AutoExecutor(folder=osp.join(sweep.work_dir, 'slurm', '%j'))
        executor.update_parameters(**sweep.slurm)
    if sweep.data and not osp.isdir(osp.join(sweep.data, 'train')):
        from .samples import build_sample_folders
        build_sample_folders(sweep.data)  # before the jobs: they all read it
    jobs = []
    for point in points:
        executor.update_parameters(name=point.name)
        job = executor.submit(_SlurmPoint(sweep, point))
        log(f'{point.name}: submitted job {job.job_id}')
        jobs.append(job)
    return jobs


def collect_table(sweep: Sweep) -> List[dict]:
    """The rows of every point that has a result; writes ``sweep.csv`` and ``sweep.json``."""
    rows = []
    for point in sweep.points:
        result = read_result(sweep, point)
        if result is None:
            continue
        row = {'point': point.name, 'status': result.get('status')}
        row.update(point.values)
        for key in TABLE_COLUMNS[2:]:
            row[key] = result.get(key)
        row.update(result.get('metrics', {}))
        if result.get('error'):
            row['error'] = result['error']
        rows.append(row)
    columns: List[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    os.makedirs(sweep.work_dir, exist_ok=True)
    with open(osp.join(sweep.work_dir, 'sweep.json'), 'w') as f:
        json.dump(dict(sweep=sweep.path, base=sweep.base, axes=sweep.axes, rows=rows), f,
                  indent=2)
    with open(osp.join(sweep.work_dir, 'sweep.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return rows


__all__ = ['NAMED_AXES', 'Sweep', 'SweepPoint', 'axis_options', 'collect_table', 'describe',
           'expand_points', 'load_sweep', 'nested', 'run_point', 'run_sweep', 'submit_slurm',
           'train_and_test', 'write_point_config']
