"""The quick start: train a small ViTok on photos bundled with installed packages, on the CPU.

    python tools/quickstart.py [--config configs/quickstart/vitok_tiny_64p.py]
        [--stage2-config configs/quickstart/vitok_tiny_64p_stage2.py | --no-stage2]
        [--work-dir work_dirs/quickstart] [--data data/samples] [--cfg-options ...]
        [--stage2-options ...]

1. copies the natural photos that ship inside scikit-image, scikit-learn and matplotlib
   into ``data/samples/{train,val}`` (whole photos held out for val);
2. trains stage 1, L1 + KL (checkpoints in ``<work dir>/stage1``, MMEngine's files);
3. trains stage 2 from stage 1's last checkpoint: the decoder fine-tuned with a GAN
   loss, the encoder frozen (``<work dir>/stage2``);
4. after each stage scores the reconstructions of 64x64 views (short side resized to
   64, center crop) of the held-out photos, and of 24 frames of the held-out video clip
   (decoded with decord): real images never trained on;
5. writes ``<work dir>/summary.json`` and ``<work dir>/reconstructions.png``
   (originals, then each stage's reconstructions, then the same 3x zoomed into each
   image's flattest area) and prints a table.
"""
import argparse

from mmengine.config import DictAction

from vitok_mm.cli import add_debug_argument, run_tool
from vitok_mm.utils.table import format_table
from vitok_mm.workflows import results_table, run_quickstart


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/quickstart/vitok_tiny_64p.py')
    parser.add_argument('--stage2-config', default='configs/quickstart/vitok_tiny_64p_stage2.py')
    parser.add_argument('--no-stage2', action='store_true', help='train stage 1 only')
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--data', default='data/samples')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides for both stages')
    parser.add_argument('--stage2-options', nargs='+', action=DictAction,
                        help='overrides for stage 2 only (model.adversarial_loss.loss_weight=1)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    result = run_quickstart(args.config, None if args.no_stage2 else args.stage2_config,
                            args.work_dir, args.data, args.cfg_options, args.stage2_options)
    print()
    print(format_table(*results_table(result)))
    print('HF energy: fine detail of the reconstructions relative to the originals '
          '(Laplacian energy; blur < 1).\ncolour shift: mean |per-channel mean shift| in '
          '8-bit levels (worst photo and channel). grid: gradients across 8x8 patch '
          'borders\nover those inside, relative to the original (1: no grid; the photo '
          'farthest from 1).')
    print(f'\nsummary:         {result.summary_path}\nreconstructions: {result.grid_path} '
          f'(originals, then {", ".join(result.evaluated)}; below, 3x zoomed flat areas)')
    return 0


if __name__ == '__main__':
    run_tool(main)
