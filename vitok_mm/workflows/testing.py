"""Testing a checkpoint on every test set a config names."""
import copy
import csv
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

from mmengine.config import Config

from vitok_mm.evaluation import split_available
from vitok_mm.utils.table import format_table


def configure_test_sets(cfg: Config) -> List[str]:
    """Make ``cfg`` test on each of its ``test_sets`` through ``MultiTestLoop``.

    A config may list several ``test_sets`` (the paper configs: ImageNet val and COCO
    val2017), each ``dict(dataset=..., [evaluator=...], [other dataloader keys])``;
    otherwise its ``test_dataloader``/``test_evaluator`` form one set named ``test``.
    Metrics whose pretrained weights are missing are dropped; a set left with no metric
    is dropped; a set whose data is missing is skipped by the loop when it gets there.

    Returns:
        one note per metric or set dropped, with the reason.
    """
    notes = []
    sets: Dict[str, dict] = {}
    for name, spec in (cfg.get('test_sets') or dict(test=dict())).items():
        spec = copy.deepcopy(dict(spec))
        kept, skipped = split_available(spec.get('evaluator', cfg.test_evaluator))
        notes += [f'{name}: {metric} skipped: {why}' for metric, why in skipped.items()]
        if not kept:
            notes.append(f'{name}: skipped: none of its metrics can run here')
            continue
        sets[name] = dict(spec, evaluator=kept)
    cfg.test_cfg = dict(type='MultiTestLoop', sets=sets, skip_missing=True)
    return notes


#: The metrics of a results table, in the paper's order, and their printed names.
RESULT_COLUMNS = ('rfid', 'ris', 'rfvd', 'psnr', 'ssim', 'lpips')
RESULT_LABELS = dict(rfid='rFID', ris='rIS', rfvd='rFVD', psnr='PSNR', ssim='SSIM',
                     lpips='LPIPS')


def collect_test_results(loop) -> Tuple[Dict[str, dict], List[str]]:
    """``({set: {metric: value, 'num_images': n}}, notes)`` of a finished
    ``MultiTestLoop``; the notes name each set it skipped and why."""
    rows = {}
    for name, result in loop.results.items():
        row = {key.split('/')[-1]: value for key, value in result.items()}
        row['num_images'] = row.pop('num_samples')
        rows[name] = row
    return rows, [f'{name}: skipped: {why}' for name, why in loop.skipped.items()]


def format_test_results(rows: Dict[str, dict]) -> str:
    """One line per test set: its size and each metric (``-`` where not measured)."""
    body = [[name, str(row.get('num_images', '')),
             *['-' if row.get(c) is None else f'{row[c]:.4f}' for c in RESULT_COLUMNS]]
            for name, row in rows.items()]
    return format_table(['set', 'images', *[RESULT_LABELS[c] for c in RESULT_COLUMNS]], body)


def save_test_results(work_dir: str, rows: Dict[str, dict], notes: List[str],
                      **context) -> Tuple[str, str]:
    """Write ``test_results.json`` (with ``context``, e.g. config and checkpoint) and
    ``test_results.csv`` into ``work_dir``; returns their paths."""
    os.makedirs(work_dir, exist_ok=True)
    out_json = osp.join(work_dir, 'test_results.json')
    with open(out_json, 'w') as f:
        json.dump(dict(context, sets=rows, notes=notes), f, indent=2)
    out_csv = osp.join(work_dir, 'test_results.csv')
    with open(out_csv, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['set', 'num_images', *RESULT_COLUMNS])
        for name, row in rows.items():
            writer.writerow([name, row.get('num_images'), *[row.get(c) for c in RESULT_COLUMNS]])
    return out_json, out_csv
