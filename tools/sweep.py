"""Run a scaling sweep: one derived config per grid point, trained, evaluated, tabled.

    python tools/sweep.py configs/sweeps/e_sweep_quickstart.py [--dry-run]
    python tools/sweep.py configs/sweeps/e_sweep_256p.py --launcher slurm
    python tools/plot_sweep.py work_dirs/sweeps/e_sweep_quickstart/sweep.csv

Finished points are skipped and unfinished ones resume; a failed point is recorded with
its error and the sweep goes on (exit code 1 at the end). SIGTERM or SIGUSR1 saves the
running point's checkpoint and stops the sweep (exit code 75); a rerun resumes there.
See vitok_mm/workflows/sweep.py.
"""
import argparse
import sys

from vitok_mm.cli import add_debug_argument, run_tool
from vitok_mm.engine import PREEMPTED_EXIT_CODE, PreemptedError
from vitok_mm.utils.table import format_table
from vitok_mm.workflows.sweep import load_sweep, run_sweep


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('sweep', help='a sweep config (configs/sweeps/...)')
    parser.add_argument('--launcher', choices=('local', 'slurm'), default='local',
                        help='local: one point after another here; slurm: one job per point '
                        'through submitit')
    parser.add_argument('--work-dir', help="default: the sweep config's work_dir")
    parser.add_argument('--dry-run', action='store_true',
                        help='write the point configs and list what would run')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    sweep = load_sweep(args.sweep, args.work_dir)
    try:
        rows = run_sweep(sweep, args.launcher, args.dry_run)
    except PreemptedError as stop:  # the point's checkpoint is saved; a rerun resumes there
        print(f'preempted: {stop} The sweep stopped; rerun it to go on.', file=sys.stderr,
              flush=True)
        return PREEMPTED_EXIT_CODE
    if not rows:
        return 0
    metrics = [k for k in ('psnr', 'ssim', 'hf_energy_ratio', 'colour_shift',
                           'colour_shift_max', 'blockiness', 'lpips', 'rfid',
                           'probe_accuracy', 'nearest_psnr')
               if any(k in r for r in rows)]
    header = ['point', 'status', 'params (M)', 'GFLOPs', 'E', 'tokens', 'train (s)'] + metrics

    def cell(value, digits=4):
        return '-' if value is None else (f'{value:.{digits}g}' if isinstance(value, float)
                                          else str(value))
    print(format_table(header, [
        [r['point'], r['status'], cell(r.get('params_m')), cell(r.get('gflops')),
         cell(r.get('E')), cell(r.get('tokens')), cell(r.get('train_seconds'))]
        + [cell(r.get(m)) for m in metrics] for r in rows]))
    print(f'table: {sweep.table_path} (and {sweep.table}.json)')
    failed = [r for r in rows if r['status'] != 'done']
    for row in failed:
        print(f'failed: {row["point"]}: {row.get("error")}')
    return 1 if failed else 0


if __name__ == '__main__':
    run_tool(main)
