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
(``'bf16'`` or ``'fp32'``, Table 2), ``tag`` (a label that sets nothing and names the
point), any dotted config key (``'model.decoder.depth'``) or a run-level key
(:data:`RUN_KEYS`). A point's name is its tag, or else joins its scalar values
(``p8_c16``); list and dict values (a whole pipeline, ``custom_hooks``) stay out of it,
so give such points a ``tag``.
The points are the grid's product. Each gets ``<work_dir>/configs/<point>.py``, a config
that inherits the base and sets the point's values (visible on disk, rerunnable alone
with ``tools/train.py``), and is trained in ``<work_dir>/points/<point>``:

- locally, one after another, in this process; or on Slurm, one job per point through
  ``submitit`` (each job runs the training on the ``slurm`` launcher and is requeued
  when preempted or timed out, resuming from its newest checkpoint);
- a point with a ``result.json`` of status ``done`` is skipped; an unfinished one
  resumes from its newest checkpoint;
- after training its test sets are evaluated (the config's test loop and metrics);
- a point that fails is recorded with its error and the sweep goes on; a preemption
  signal (SIGTERM, SIGUSR1) saves the running point's checkpoint, records it and stops
  the sweep, which resumes there when rerun.

A sweep may add a generator stage: each point's tokenizer, once trained, is run through
a small generator and the generation metrics join the point's row::

    generator = dict(type='probe', config='../quickstart/dit_tiny_64p.py', cfg_scale=1.5,
                     tokens=64)

``type='probe'`` is the generation quick start's probe (:func:`run_dit_quickstart`): a tiny
DiT trained on cached views of the sweep's ``data``, judged by linear-probe accuracy
(``probe_accuracy``) and nearest-view PSNR (``nearest_psnr``) of its samples, with the
fresh real views' values as ceilings (``*_real``). ``tokens`` sets the DiT's patch on each
point's latent grid so that every point's generator sees that many tokens (the same
generator compute); axis keys starting with ``generator.`` set a point's generator options
(``'generator.model.generator.depth'``). A point whose tokenizer is done but whose
generator stage is not runs only the generator stage. (``probe`` is the only generator
stage so far: a gFID stage at paper scale would cache ImageNet latents, train a DiT per
point and score 50k samples.)

The table (``<work_dir>/sweep.csv`` and ``sweep.json``; ``table = 'name'`` in the sweep
config names them ``name.csv`` / ``name.json``, so that two sweeps can share a work dir and
its finished points) has one row per point: the axis
values, parameters, GFLOPs (encode + decode MACs, the paper's count), E (floats of the
latent), tokens, training seconds and iterations, every metric, status and error.
``tools/plot_sweep.py`` draws the paper's figures from it.
"""
import csv
import itertools
import json
import math
import os
import os.path as osp
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from mmengine.config import Config

#: The paper's tower sizes (Table 1), for the ``encoder`` / ``decoder`` axes.
from vitok_mm.models.variants import TOWER_SIZES
from vitok_mm.utils.folder_lock import process_rank
from vitok_mm.utils.storage import staged_file

#: The named axes and what they set.
NAMED_AXES = ('patch_size', 'tubelet_size', 'latent_channels', 'encoder', 'decoder',
              'precision', 'tag')
#: Top-level config keys a point may set whole.
RUN_KEYS = ('custom_hooks', 'param_scheduler', 'max_iters', 'randomness', 'load_from')
PRECISIONS = dict(bf16='bfloat16', fp32=None)
RESULT_FILE = 'result.json'
#: Axis keys with this prefix set the point's generator options.
GENERATOR_PREFIX = 'generator.'
#: The generator stages, by ``generator.type``.
GENERATOR_TYPES = ('probe', )
#: Columns of the table before the axes and the metrics.
TABLE_COLUMNS = ('point', 'status', 'params_m', 'gflops', 'E', 'tokens', 'train_seconds',
                 'iters')


@dataclass
class SweepPoint:
    """One point of a sweep: its name, its axis values and the config options they set."""
    name: str
    values: Dict[str, Any]
    options: Dict[str, Any]
    generator_options: Dict[str, Any] = field(default_factory=dict)


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
    generator: Optional[Dict[str, Any]] = None  # the generator stage, if any
    table: str = 'sweep'  # <work_dir>/<table>.csv and .json

    @property
    def table_path(self) -> str:
        return osp.join(self.work_dir, f'{self.table}.csv')

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
    sweep = Sweep(path=path, base=base, axes=axes,
                 work_dir=work_dir or cfg.get('work_dir') or osp.join(
                     'work_dirs', 'sweeps', osp.splitext(osp.basename(path))[0]),
                 cfg_options=dict(cfg.get('cfg_options', {})), data=cfg.get('data'),
                 slurm=dict(cfg.get('slurm', {})), explicit=explicit,
                 generator=_generator_stage(path, cfg.get('generator')),
                 table=cfg.get('table', 'sweep'))
    names = [point.name for point in sweep.points]
    twice = sorted({name for name in names if names.count(name) > 1 or not name})
    if twice:
        raise ValueError(f'{path}: points {twice} have the same name (list and dict values '
                         'stay out of names): give each point a distinct `tag`.')
    return sweep


def _generator_stage(path: str, generator: Optional[dict]) -> Optional[Dict[str, Any]]:
    """The sweep's ``generator`` with its config resolved next to the sweep config."""
    if generator is None:
        return None
    generator = dict(generator)
    kind = generator.get('type', 'probe')
    if kind not in GENERATOR_TYPES:
        raise ValueError(f'{path}: generator type {kind!r} is not known; choose from '
                         f'{", ".join(GENERATOR_TYPES)}.')
    if 'config' not in generator:
        raise ValueError(f'{path}: `generator` needs a `config` (the generator\'s config, '
                         'relative to the sweep config).')
    config = osp.normpath(osp.join(osp.dirname(osp.abspath(path)), generator['config']))
    if not osp.isfile(config):
        raise FileNotFoundError(f'{path}: its generator config {config} does not exist.')
    generator.update(type=kind, config=config,
                     cfg_options=dict(generator.get('cfg_options', {})))
    return generator


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
    if axis.startswith(GENERATOR_PREFIX):
        return {}  # a generator option (SweepPoint.generator_options), not the tokenizer's
    if '.' in axis or axis in RUN_KEYS:
        return {axis: value}
    raise ValueError(f'unknown sweep axis {axis!r}: use one of {", ".join(NAMED_AXES)}, a '
                     "dotted config key such as 'model.decoder.depth' or a run-level key ("
                     f'{", ".join(RUN_KEYS)}).')


def _short(axis: str) -> str:
    if axis.startswith(GENERATOR_PREFIX):
        return 'g' + axis.split('.')[-1]
    return dict(patch_size='p', tubelet_size='q', latent_channels='c', encoder='enc',
                decoder='dec', precision='', tag='').get(axis, axis.split('.')[-1])


def _point(values: Dict[str, Any]) -> SweepPoint:
    options: Dict[str, Any] = {}
    for axis, value in values.items():
        options.update(axis_options(axis, value))
    name = str(values['tag']) if 'tag' in values else '_'.join(
        f'{_short(axis)}{value}' for axis, value in values.items()
        if not isinstance(value, (list, tuple, dict)))
    generator_options = {axis[len(GENERATOR_PREFIX):]: value for axis, value in values.items()
                         if axis.startswith(GENERATOR_PREFIX)}
    return SweepPoint(name=name.replace('/', '-'), values=dict(values), options=options,
                      generator_options=generator_options)


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
    with staged_file(osp.join(folder, RESULT_FILE)) as partial:
        with open(partial, 'w') as f:
            json.dump(result, f, indent=2)


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


def generator_patch(latent_tokens: int, tokens: int, point: str = '') -> int:
    """The generator's patch on a square latent grid of ``latent_tokens`` positions that
    leaves it ``tokens`` tokens (the same generator compute at every point)."""
    patch = max(1, round(math.sqrt(latent_tokens / tokens)))
    if patch * patch * tokens != latent_tokens:
        raise ValueError(f'{point}: a latent grid of {latent_tokens} positions cannot be '
                         f'patched into {tokens} generator tokens (square patches); choose '
                         f'generator tokens = {latent_tokens} / a square.')
    return patch


def run_generator_stage(sweep: Sweep, point: SweepPoint, config: str,
                        log: Callable[[str], None] = print) -> Dict[str, Any]:
    """The sweep's generator stage for one point's trained tokenizer (``type='probe'``:
    the generation quick start's probe in ``<point>/generator``); returns
    ``dict(metrics=, seconds=, summary=)``."""
    from vitok_mm.engine import find_resume_checkpoint

    from .quickstart_dit import run_dit_quickstart
    generator = sweep.generator
    folder = point_dir(sweep, point)
    checkpoint = find_resume_checkpoint(folder)  # the trained tokenizer's newest checkpoint
    if checkpoint is None:
        raise FileNotFoundError(f'the generator stage needs the tokenizer of {point.name}, '
                                f'but {folder} has no iter_*.pth checkpoint.')
    if not sweep.data:
        raise ValueError(f'{sweep.path}: the probe generator stage trains on the photos of '
                         "the sweep's `data` folder: set data = 'data/samples'.")
    options = dict(generator['cfg_options'])
    if generator.get('tokens'):
        options['model.generator.patch_size'] = generator_patch(
            describe(config)['tokens'], int(generator['tokens']), point.name)
    options.update(point.generator_options)
    scale = float(generator.get('cfg_scale', 1.5))
    result = run_dit_quickstart(
        config=generator['config'], work_dir=osp.join(folder, 'generator'), data=sweep.data,
        views=int(generator.get('views', 64)),
        reference_views=int(generator.get('reference_views', 8)),
        samples_per_class=int(generator.get('samples_per_class', 16)), cfg_scales=(scale, ),
        cfg_options=options, tokenizer=dict(config=config, checkpoint=checkpoint), log=log)
    scores = result.summary['results']
    sampled, real = scores[f'cfg_{scale:g}'], scores['real_views']
    metrics = dict(probe_accuracy=sampled['probe_acc'], nearest_psnr=sampled['nearest_view_psnr'],
                   latent_fd=sampled['latent_fd'], probe_accuracy_real=real['probe_acc'],
                   nearest_psnr_real=real['nearest_view_psnr'], latent_fd_real=real['latent_fd'])
    return dict(metrics=metrics, seconds=result.summary['seconds']['total'],
                summary=result.summary_path)


def _tokenizer_done(result: Optional[dict]) -> bool:
    if not result:
        return False
    return result.get('stages', {}).get('tokenizer', result.get('status')) == 'done'


def point_finished(sweep: Sweep, result: Optional[dict]) -> bool:
    """Whether a point's result covers every stage of ``sweep``."""
    if not result or result.get('status') != 'done':
        return False
    return sweep.generator is None or result.get('stages', {}).get('generator') == 'done'


def run_point(sweep: Sweep, point: SweepPoint, launcher: str = 'none',
              train: Callable[..., Dict[str, Any]] = train_and_test,
              generate: Callable[..., Dict[str, Any]] = run_generator_stage) -> dict:
    """Train and evaluate one point (and run its generator stage when the sweep has one);
    its result (``status`` ``done`` or ``failed`` with the error) is written to
    ``result.json`` either way and returned. A tokenizer already done is kept."""
    from vitok_mm.engine import PreemptedError
    config = write_point_config(sweep, point)
    result = read_result(sweep, point)
    preempted = None
    if not _tokenizer_done(result):
        result = dict(point=point.name, values=point.values, config=config)
        try:
            result.update(describe(config))
            result.update(train(config, point_dir(sweep, point), launcher))
            result.update(status='done', stages=dict(tokenizer='done'))
        except Exception as error:  # noqa: BLE001 - any failure is recorded, the sweep goes on
            preempted = error if isinstance(error, PreemptedError) else None
            result.update(status='failed', error=f'{type(error).__name__}: {error}',
                          traceback=traceback.format_exc(limit=8),
                          stages=dict(tokenizer='failed'))
    result.setdefault('stages', dict(tokenizer='done'))
    if (sweep.generator is not None and _tokenizer_done(result)
            and result['stages'].get('generator') != 'done'):
        try:
            stage = generate(sweep, point, config)
            result.setdefault('metrics', {}).update(stage['metrics'])
            result.update(status='done', generation_seconds=stage['seconds'],
                          generation_summary=stage.get('summary'))
            result['stages']['generator'] = 'done'
            result.pop('error', None)
            result.pop('traceback', None)
        except Exception as error:  # noqa: BLE001
            preempted = error if isinstance(error, PreemptedError) else None
            result.update(status='failed',
                          error=f'generator stage: {type(error).__name__}: {error}',
                          traceback=traceback.format_exc(limit=8))
            result['stages']['generator'] = 'failed'
    if process_rank() == 0:
        _write_result(sweep, point, result)  # one writer per point, whatever the ranks
    if preempted is not None:
        raise preempted  # a signal stops the sweep (its checkpoint is saved), not one point
    return result


def run_sweep(sweep: Sweep, launcher: str = 'local', dry_run: bool = False,
              log: Callable[[str], None] = print,
              train: Callable[..., Dict[str, Any]] = train_and_test,
              generate: Callable[..., Dict[str, Any]] = run_generator_stage) -> List[dict]:
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
        if point_finished(sweep, done):
            log(f'[{index}/{len(points)}] {point.name}: done, skipped')
            continue
        todo.append(point)
        stage = ' (generator stage)' if _tokenizer_done(done) else ''
        log(f'[{index}/{len(points)}] {point.name}: '
            + ('would run' if dry_run else 'to run') + stage
            + f' ({write_point_config(sweep, point)})')
    if dry_run:
        return []
    if launcher == 'slurm':
        submit_slurm(sweep, todo, log)
        return collect_table(sweep)
    for index, point in enumerate(todo, 1):
        log(f'running {point.name} ({index}/{len(todo)} to run)')
        result = run_point(sweep, point, 'none', train, generate)
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
    """The rows of every point that has a result; writes the table (``sweep.csv`` and
    ``sweep.json`` unless the sweep names it)."""
    rows = []
    for point in sweep.points:
        result = read_result(sweep, point)
        if result is None:
            continue
        row = {'point': point.name, 'status': result.get('status')}
        row.update(point.values)
        for key in TABLE_COLUMNS[2:]:
            row[key] = result.get(key)
        if 'generation_seconds' in result:
            row['generation_seconds'] = result['generation_seconds']
        row.update(result.get('metrics', {}))
        if result.get('error'):
            row['error'] = result['error']
        rows.append(row)
    columns: List[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    os.makedirs(sweep.work_dir, exist_ok=True)
    with staged_file(osp.join(sweep.work_dir, f'{sweep.table}.json')) as partial:
        with open(partial, 'w') as f:
            json.dump(dict(sweep=sweep.path, base=sweep.base, axes=sweep.axes, rows=rows), f,
                      indent=2)
    with staged_file(sweep.table_path) as partial:
        with open(partial, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return rows


__all__ = ['GENERATOR_TYPES', 'NAMED_AXES', 'Sweep', 'SweepPoint', 'axis_options',
           'collect_table', 'describe', 'expand_points', 'generator_patch', 'load_sweep',
           'nested', 'point_finished', 'run_generator_stage', 'run_point', 'run_sweep',
           'submit_slurm', 'train_and_test', 'write_point_config']
