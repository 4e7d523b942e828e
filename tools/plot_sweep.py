"""The paper's scaling figures from a sweep table.

    python tools/plot_sweep.py work_dirs/sweeps/e_sweep_quickstart/sweep.csv [--out DIR]

Each metric against log E coloured by patch size with the fitted line and its
correlations (printed too), metrics against encoder and decoder size, generation metrics
against E with a second-order fit; PNG and PDF (vitok_mm/visualization/sweep_plots.py).
"""
import argparse

from vitok_mm.cli import add_debug_argument, run_tool
from vitok_mm.visualization.sweep_plots import plot_sweep


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('table', help='sweep.csv or sweep.json of tools/sweep.py')
    parser.add_argument('--out', help='folder of the figures (default: plots/ next to the table)')
    parser.add_argument('--formats', nargs='+', default=['png', 'pdf'])
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    for record in plot_sweep(args.table, args.out, args.formats):
        line = f'{record["files"][0]}'
        if 'spearman' in record:
            line += (f'  ({record["points"]} points: Pearson r = {record["pearson"]:.3f}, '
                     f'Spearman rho = {record["spearman"]:.3f} against log E)')
        print(line)
    return 0


if __name__ == '__main__':
    run_tool(main)
