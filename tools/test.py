"""Evaluate a checkpoint on a config's test sets and print a results table.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options ...]
        [--launcher none|pytorch|slurm]

A config may list several ``test_sets`` (the paper configs: ImageNet val and COCO
val2017), each ``dict(dataset=..., evaluator=...)``; otherwise its
``test_dataloader``/``test_evaluator`` form one set. They run in one ``MultiTestLoop``.
Metrics whose weights are missing (LPIPS: vgg16-397923af.pth, rFID/rIS: the FID
InceptionV3) and sets whose data is missing are skipped with the reason. The table is
saved as test_results.json and test_results.csv in the work dir.
"""
import argparse
import csv
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction

from vitok_mm.apis import (
                           build_runner,
                           configure_test_sets,
                           exit_process,
                           load_config,
                           shutdown_distributed,
)
from vitok_mm.engine import is_complete_checkpoint
from vitok_mm.utils import CheckpointError

COLUMNS = ('rfid', 'ris', 'rfvd', 'psnr', 'ssim', 'lpips')
LABELS = dict(rfid='rFID', ris='rIS', rfvd='rFVD', psnr='PSNR', ssim='SSIM', lpips='LPIPS')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a vitok_mm checkpoint')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def format_table(rows: dict) -> str:
    header = ['set', 'images', *[LABELS[c] for c in COLUMNS]]
    lines = [header]
    for name, row in rows.items():
        lines.append([name, str(row.get('num_images', '')),
                      *['-' if row.get(c) is None else f'{row[c]:.4f}' for c in COLUMNS]])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ['  '.join(cell.ljust(w) for cell, w in zip(line, widths)) for line in lines]
    text.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join(text)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'Checkpoint {args.checkpoint} does not exist.')
    if not is_complete_checkpoint(args.checkpoint):
        raise SystemExit(f'{args.checkpoint} is not a complete checkpoint (cut short while '
                         'saving, or another kind of file); use another checkpoint of the run.')
    cfg = load_config(args.config, args.cfg_options, args.work_dir, launcher=args.launcher)
    cfg.load_from = args.checkpoint
    notes = configure_test_sets(cfg)
    runner = build_runner(cfg)
    try:
        runner.test()
    except CheckpointError as error:
        print(f'error: {error}', file=sys.stderr)
        shutdown_distributed(barrier=False)
        return 1
    loop = runner.test_loop
    notes += [f'{name}: skipped: {why}' for name, why in loop.skipped.items()]
    rows = {}
    for name, result in loop.results.items():
        row = {key.split('/')[-1]: value for key, value in result.items()}
        row['num_images'] = row.pop('num_samples')
        rows[name] = row

    if runner.rank == 0:
        print(format_table(rows))
        for note in notes:
            print(note)
        os.makedirs(cfg.work_dir, exist_ok=True)
        out_json = osp.join(cfg.work_dir, 'test_results.json')
        with open(out_json, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint, sets=rows,
                           notes=notes), f, indent=2)
        out_csv = osp.join(cfg.work_dir, 'test_results.csv')
        with open(out_csv, 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['set', 'num_images', *COLUMNS])
            for name, row in rows.items():
                writer.writerow([name, row.get('num_images'), *[row.get(c) for c in COLUMNS]])
        print(f'results: {out_json}, {out_csv}')
    shutdown_distributed()
    return 0 if rows else 1


if __name__ == '__main__':
    exit_process(main())
