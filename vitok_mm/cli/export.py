"""``vitok-mm export``: its arguments, and the run that prints the files, their sizes and
the check (the export itself is :func:`vitok_mm.workflows.export.export_tokenizer`)."""
import argparse
import sys

from vitok_mm.apis.model_index import resolve_model
from vitok_mm.utils.table import format_table
from vitok_mm.workflows.export import DEFAULT_ATOL, DEFAULT_RTOL, FORMATS, export_tokenizer

from .tool import add_debug_argument, positive_int


def add_export_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``export`` to an argparse ``subparsers`` (``vitok-mm export ...``, run by
    :func:`run_export`)."""
    parser = subparsers.add_parser(
        'export', help='write the encoder and decoder as ONNX or TorchScript files with '
        'dynamic batch and size, checked against PyTorch',
        description='Export a tokenizer\'s encoder and decoder (separate files) and an '
        'export.json that describes them.')
    parser.add_argument('config', help='a tokenizer config file or a model name '
                        '(vitok-mm list)')
    parser.add_argument('checkpoint', nargs='?',
                        help="its weights (default: the model index's for a name; a config "
                        'without one: the random initial weights, with a warning)')
    parser.add_argument('--format', nargs='+', choices=FORMATS, dest='formats',
                        help='onnx (default) and/or torchscript')
    parser.add_argument('--out', required=True, help='the output folder')
    parser.add_argument('--size', nargs='+', type=positive_int, metavar='S',
                        help='the example input: H W, one side S, or T H W for video '
                             '(default: the config\'s input_shape)')
    parser.add_argument('--opset', type=positive_int, help='ONNX opset (default: the '
                        "exporter's)")
    parser.add_argument('--no-check', action='store_true',
                        help='skip running the files against the PyTorch model')
    parser.add_argument('--atol', type=float, default=DEFAULT_ATOL,
                        help='absolute tolerance of the check (default %(default)g)')
    parser.add_argument('--rtol', type=float, default=DEFAULT_RTOL,
                        help='relative tolerance of the check (default %(default)g)')
    add_debug_argument(parser)
    return parser


def _human_size(size_bytes: int) -> str:
    if size_bytes >= 2 ** 20:
        return f'{size_bytes / 2 ** 20:.1f} MiB'
    return f'{size_bytes / 2 ** 10:.1f} KiB'


def run_export(args: argparse.Namespace) -> int:
    """``vitok-mm export``: export, then print the files, their sizes and the check."""
    config, checkpoint = resolve_model(args.config, args.checkpoint)
    if checkpoint is None:
        print(f'warning: no checkpoint given: exporting the random initial weights of '
              f'{config}.', file=sys.stderr, flush=True)
    size = args.size
    if size is not None and len(size) == 1:
        size = size[0]
    report = export_tokenizer(config, checkpoint, args.out,
                              formats=args.formats or ('onnx', ), sample_size=size,
                              opset=args.opset, check=not args.no_check, atol=args.atol,
                              rtol=args.rtol)
    rows = [(graph.path, graph.format, _human_size(graph.size_bytes),
             '-' if graph.max_abs_diff is None else f'{graph.max_abs_diff:.2e}')
            for graph in report.graphs]
    print(format_table(('file', 'format', 'size', 'max abs diff'), rows,
                       align=('left', 'left', 'right', 'right')))
    check = report.metadata['check']
    if check is not None:
        sizes = ', '.join(f'{axis}={value}' for axis, value in check['size'].items())
        print(f'checked against PyTorch at {sizes} within atol={check["atol"]:g}, '
              f'rtol={check["rtol"]:g}')
    print(f'description: {report.metadata_path}')
    return 0


__all__ = ['add_export_parser', 'run_export']
