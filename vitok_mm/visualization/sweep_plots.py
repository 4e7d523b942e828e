"""The paper's scaling figures from a sweep table (``tools/sweep.py``'s ``sweep.csv``).

- each reconstruction metric against log E, coloured by patch size, with the least-squares
  line over all points and its Pearson and Spearman correlations in the legend (Fig. 2, 4);
- each metric against the encoder size and against the decoder size (Fig. 6-9), when the
  sweep has those axes;
- each generation metric (``gfid``, ``gis``, ``probe_accuracy``, ``nearest_psnr``) against
  log E with a second-order fit (Fig. 5: generation has an optimal E);
- when the table has both, reconstruction (PSNR) and generation against log E side by side
  (``reconstruction_and_generation_vs_E``).

PNG and PDF through matplotlib's Agg backend (no display needed).
"""
import csv
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

#: Reconstruction metrics drawn against E, in the paper's order.
RECONSTRUCTION_METRICS = ('rfid', 'ris', 'psnr', 'ssim', 'lpips')
#: Generation metrics: these names, or any column starting with ``g`` + a metric name.
GENERATION_METRICS = ('gfid', 'gis', 'gfvd', 'probe_accuracy', 'nearest_psnr')
TOWER_ORDER = ('S', 'B', 'L')


def _number(text):
    if text in (None, ''):
        return None
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def read_table(path: str) -> List[dict]:
    """Rows of a ``sweep.csv`` or ``sweep.json`` (numbers parsed), finished points only.

    Raises:
        FileNotFoundError: no such file.
        ValueError: it is neither, or has no finished point.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist; tools/sweep.py writes sweep.csv and '
                                'sweep.json into the sweep work dir.')
    if path.endswith('.json'):
        with open(path) as f:
            rows = json.load(f)['rows']
    elif path.endswith('.csv'):
        with open(path, newline='') as f:
            rows = [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(f)]
    else:
        raise ValueError(f'{path}: give the sweep.csv or sweep.json of tools/sweep.py.')
    rows = [r for r in rows if r.get('status') in (None, 'done')]
    if not rows:
        raise ValueError(f'{path} has no finished point to plot.')
    return rows


def ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks (1-based, ties averaged), as Spearman's correlation uses them."""
    values = np.asarray(values, dtype=float)
    order = values.argsort(kind='stable')
    ranked = np.empty(len(values))
    ranked[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        ranked[tied] = ranked[tied].mean()
    return ranked


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return float('nan')
    return float(np.corrcoef(x, y)[0, 1])


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation: Pearson's of the ranks."""
    return pearson(ranks(x), ranks(y))


def _pyplot():
    try:
        import matplotlib
    except ImportError as error:
        raise ValueError('plotting a sweep needs matplotlib: pip install matplotlib (or pip '
                         'install -e .[sweep]).') from error
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def _save(fig, out_dir: str, name: str, formats: Sequence[str]) -> List[str]:
    paths = []
    for fmt in formats:
        path = osp.join(out_dir, f'{name}.{fmt}')
        fig.savefig(path, dpi=150, bbox_inches='tight')
        paths.append(path)
    return paths


def _label(metric: str) -> str:
    return dict(rfid='rFID', ris='rIS', psnr='PSNR (dB)', ssim='SSIM', lpips='LPIPS',
                gfid='gFID', gis='gIS', gfvd='gFVD', probe_accuracy='probe accuracy',
                nearest_psnr='nearest-view PSNR (dB)').get(metric, metric)


def _draw_against_e(ax, rows: List[dict], metric: str, degree: int) -> Dict[str, object]:
    """Draw ``metric`` against log10 E on ``ax`` (a colour per patch size, a polynomial
    fit of ``degree``); returns the fit and the correlations."""
    points = [(r['E'], r[metric], r.get('patch_size')) for r in rows
              if isinstance(r.get(metric), (int, float)) and r.get('E')]
    log_e = np.array([math.log10(p[0]) for p in points])
    values = np.array([p[1] for p in points], dtype=float)
    patches = sorted({p[2] for p in points}, key=lambda v: (v is None, v))
    for patch in patches:
        mask = np.array([p[2] == patch for p in points])
        ax.scatter(log_e[mask], values[mask], s=28,
                   label=f'p={int(patch)}' if patch is not None else 'points')
    stats: Dict[str, object] = dict(metric=metric, points=len(points),
                                    pearson=pearson(log_e, values),
                                    spearman=spearman(log_e, values))
    if len(points) > degree:
        coefficients = np.polyfit(log_e, values, degree)
        grid = np.linspace(log_e.min(), log_e.max(), 100)
        fit_label = ('linear fit' if degree == 1 else 'quadratic fit') + (
            f': Pearson r={stats["pearson"]:.2f}, Spearman ρ={stats["spearman"]:.2f}')
        ax.plot(grid, np.polyval(coefficients, grid), 'k--', lw=1, label=fit_label)
        stats['fit'] = [float(c) for c in coefficients]
        if degree == 2 and coefficients[0] != 0:
            stats['vertex_log10_E'] = float(-coefficients[1] / (2 * coefficients[0]))
    ax.set_xlabel('log10 E (floats per latent)')
    ax.set_ylabel(_label(metric))
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return stats


def plot_against_e(rows: List[dict], metric: str, out_dir: str, degree: int = 1,
                   formats: Sequence[str] = ('png', 'pdf')) -> Dict[str, object]:
    """``metric`` against log10 E, a colour per patch size, with a polynomial fit of
    ``degree`` in log E; returns the fit, the correlations and the files."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    stats = _draw_against_e(ax, rows, metric, degree)
    stats['files'] = _save(fig, out_dir, f'{metric}_vs_E', formats)
    plt.close(fig)
    return stats


def plot_reconstruction_and_generation(rows: List[dict], reconstruction: Sequence[str],
                                       generation: Sequence[str], out_dir: str,
                                       formats: Sequence[str] = ('png', 'pdf')
                                       ) -> Dict[str, object]:
    """The paper's contrast in one figure: reconstruction metrics against log E (linear
    fits) next to generation metrics against log E (quadratic fits), one panel each."""
    plt = _pyplot()
    metrics = [(m, 1) for m in reconstruction] + [(m, 2) for m in generation]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.8), squeeze=False)
    panels = []
    for ax, (metric, degree) in zip(axes[0], metrics):
        panels.append(_draw_against_e(ax, rows, metric, degree))
        ax.set_title(('reconstruction: ' if degree == 1 else 'generation: ') + _label(metric),
                     fontsize=9)
    fig.tight_layout()
    files = _save(fig, out_dir, 'reconstruction_and_generation_vs_E', formats)
    plt.close(fig)
    return dict(metric='reconstruction_and_generation', panels=panels, files=files)


def plot_against_tower(rows: List[dict], metric: str, tower: str, out_dir: str,
                       formats: Sequence[str] = ('png', 'pdf')) -> Optional[Dict[str, object]]:
    """``metric`` against the ``tower`` (``'encoder'`` / ``'decoder'``) size, a line per
    size of the other tower; None when the table has no such axis."""
    if not any(r.get(tower) for r in rows):
        return None
    plt = _pyplot()
    other = 'decoder' if tower == 'encoder' else 'encoder'
    order = {size: i for i, size in enumerate(TOWER_ORDER)}
    fig, ax = plt.subplots(figsize=(5, 4))
    for other_size in sorted({r.get(other) for r in rows}, key=lambda s: order.get(s, 9)):
        line = sorted((r for r in rows if r.get(other) == other_size
                       and isinstance(r.get(metric), (int, float))),
                      key=lambda r: order.get(r[tower], 9))
        if line:
            ax.plot([r[tower] for r in line], [r[metric] for r in line], 'o-',
                    label=f'{other} {other_size}' if other_size else metric)
    ax.set_xlabel(f'{tower} size')
    ax.set_ylabel(_label(metric))
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    files = _save(fig, out_dir, f'{metric}_vs_{tower}', formats)
    plt.close(fig)
    return dict(metric=metric, tower=tower, files=files)


def plot_sweep(table: str, out_dir: Optional[str] = None,
               formats: Sequence[str] = ('png', 'pdf')) -> List[Dict[str, object]]:
    """Every figure the table supports, into ``out_dir`` (default: next to the table);
    returns one record per figure (files, and for E plots the fit and correlations)."""
    rows = read_table(table)
    out_dir = out_dir or osp.join(osp.dirname(osp.abspath(table)), 'plots')
    os.makedirs(out_dir, exist_ok=True)
    columns = {k for r in rows for k, v in r.items() if isinstance(v, (int, float))}
    records = []
    for metric in RECONSTRUCTION_METRICS:
        if metric in columns:
            records.append(plot_against_e(rows, metric, out_dir, 1, formats))
            for tower in ('encoder', 'decoder'):
                record = plot_against_tower(rows, metric, tower, out_dir, formats)
                if record:
                    records.append(record)
    generation = [m for m in sorted(columns)
                  if m in GENERATION_METRICS or m.startswith('generation/')]
    for metric in generation:
        records.append(plot_against_e(rows, metric, out_dir, 2, formats))
    reconstruction = [m for m in RECONSTRUCTION_METRICS if m in columns]
    if generation and reconstruction:
        shown = ['psnr'] if 'psnr' in reconstruction else reconstruction[:1]
        records.append(plot_reconstruction_and_generation(rows, shown, generation, out_dir,
                                                          formats))
    if not records:
        raise ValueError(f'{table} has no metric column to plot (expected some of '
                         f'{", ".join(RECONSTRUCTION_METRICS + GENERATION_METRICS)}).')
    return records


__all__ = ['GENERATION_METRICS', 'RECONSTRUCTION_METRICS', 'pearson', 'plot_against_e',
           'plot_against_tower', 'plot_reconstruction_and_generation', 'plot_sweep', 'ranks',
           'read_table', 'spearman']
