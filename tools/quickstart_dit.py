"""The generation quick start: a tiny DiT on the image quick start's latents, on the CPU.

    python tools/quickstart_dit.py [--config configs/quickstart/dit_tiny_64p.py]
        [--work-dir work_dirs/quickstart_dit] [--tokenizer-dir work_dirs/quickstart]
        [--data data/samples] [--views 64] [--samples-per-class 16] [--cfg-options ...]

Needs the stage-1 tokenizer of ``bash tools/quickstart.sh``. Caches views of the 16
training photos (each its own class), trains the DiT, samples each class without and with
guidance, and reports a linear probe's accuracy on the samples, their PSNR to the nearest
training view and a latent Frechet distance, against the starting noise and fresh real
views. Writes ``<work dir>/summary.json`` and ``samples.png``.
"""
import argparse

from mmengine.config import DictAction

from vitok_mm.cli import add_debug_argument, run_tool
from vitok_mm.utils.table import format_table
from vitok_mm.workflows.quickstart_dit import dit_results_table, run_dit_quickstart


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/quickstart/dit_tiny_64p.py')
    parser.add_argument('--views-config',
                        default='configs/_base_/datasets/quickstart_dit_views_64p.py')
    parser.add_argument('--work-dir', default='work_dirs/quickstart_dit')
    parser.add_argument('--tokenizer-dir', default='work_dirs/quickstart')
    parser.add_argument('--data', default='data/samples')
    parser.add_argument('--views', type=int, default=64)
    parser.add_argument('--samples-per-class', type=int, default=16)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    result = run_dit_quickstart(
        args.config, args.views_config, args.work_dir, args.tokenizer_dir, args.data,
        views=args.views, samples_per_class=args.samples_per_class,
        cfg_options=args.cfg_options)
    print()
    print(format_table(*dit_results_table(result)))
    seconds = result.summary['seconds']
    print(f'\n{result.summary["iters"]} training iterations; times (s): {seconds}')
    print(f'summary: {result.summary_path}\nsamples: {result.grid_path} (a row per class)')
    return 0


if __name__ == '__main__':
    run_tool(main)
