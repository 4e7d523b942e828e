"""Encode and decode throughput and peak memory of the Tokenizer API, tiled and untiled.

    python tools/analysis_tools/benchmark_api.py configs/vitok/s-b_16_256p.py
    python tools/analysis_tools/benchmark_api.py configs/vitok/s-b_16_256p.py \
        --sizes 256 512 --tile-size 256 128 --batch-size 4 --dtype bf16 --json out.json
    python tools/analysis_tools/benchmark_api.py vitok-tiny-64p --sizes 64 256

What users call: ``Tokenizer.encode`` of a batch of random square images and
``Tokenizer.decode`` of their latents (padding, batching, autocast, tiles included),
each timed apart, median of ``--iters`` after ``--warmup``; images/s is the batch over
that time. Peak memory: what one call needs on top of the loaded model and input (CUDA:
``max_memory_allocated``; CPU: peak resident set size, see
:mod:`vitok_mm.analysis.memory`). Tiled rows use tiles of ``--tile-size`` pixels
overlapping by ``--tile-overlap`` (default a quarter tile); an image no larger than a
tile would be one tile, the untiled pass, and is not measured again. Weights are random
unless a checkpoint is given: speed and memory do not depend on them.
"""
import argparse
import json
from pathlib import Path

import torch

from vitok_mm.analysis import device_name, memory_method, select_device, set_threads
from vitok_mm.analysis.tokenizer_api import benchmark_tokenizer_api
from vitok_mm.apis import Tokenizer
from vitok_mm.cli import add_debug_argument, non_negative_int, positive_int, run_tool
from vitok_mm.utils.table import format_rows, format_table


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a tokenizer config or a model name (vitok-mm list)')
    parser.add_argument('checkpoint', nargs='?', help='weights (default: random)')
    parser.add_argument('--sizes', nargs='+', type=positive_int, default=[256, 512],
                        help='square image sides in pixels (default: 256 512)')
    parser.add_argument('--tile-size', nargs='+', type=positive_int, default=[256],
                        help='tile sizes compared with the untiled pass (default: 256)')
    parser.add_argument('--tile-overlap', type=non_negative_int,
                        help='pixels shared by neighbouring tiles (default: a quarter tile)')
    parser.add_argument('--batch-size', type=positive_int, default=4,
                        help='images per call (and tiles per forward pass)')
    parser.add_argument('--dtype', choices=('fp32', 'bf16'), default='fp32')
    parser.add_argument('--device', choices=('cpu', 'cuda'),
                        help='default: cuda when available, else cpu')
    parser.add_argument('--warmup', type=non_negative_int, default=1)
    parser.add_argument('--iters', type=positive_int, default=3)
    parser.add_argument('--threads', type=positive_int,
                        help='CPU threads for torch (default: every core this process may use)')
    parser.add_argument('--json', metavar='OUT', help='also write every number to this file')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    device = select_device(args.device)
    threads = set_threads(args.threads)
    dtype = torch.bfloat16 if args.dtype == 'bf16' else None
    base = Tokenizer.from_pretrained(args.config, args.checkpoint, device, dtype,
                                     batch_size=args.batch_size)
    if base.is_video:
        raise ValueError(f'{args.config} is a video tokenizer; this benchmark measures images.')

    def make(tile_size):
        if tile_size is None:
            return base
        return Tokenizer(base.model, device, dtype, batch_size=args.batch_size,
                         tile_size=tile_size, tile_overlap=args.tile_overlap)

    print(format_rows([
        ('config', f'{args.config} ({args.checkpoint or "random weights"})'),
        ('patch', str(base.patch_size)), ('batch', str(args.batch_size)),
        ('device', f'{device.type} ({device_name(device)})'),
        ('dtype', args.dtype if args.dtype == 'fp32' else 'bf16 (autocast, fp32 weights)'),
        ('torch', torch.__version__), ('threads', str(threads)),
        ('timing', f'median of {args.iters} call(s) after {args.warmup} warmup call(s)'),
        ('peak memory', memory_method(device)),
    ]), end='\n\n', flush=True)
    records = benchmark_tokenizer_api(make, args.sizes, [None] + list(args.tile_size),
                                      args.batch_size, device, args.warmup, args.iters)
    rows = [[f'{r.size}p', r.tiling, str(r.tiles), f'{r.encode_images_per_s:.2f}',
             f'{r.decode_images_per_s:.2f}', f'{r.encode_peak_mib:.0f}',
             f'{r.decode_peak_mib:.0f}'] for r in records]
    header = ['size', 'tiling (tile/overlap)', 'tiles', 'encode img/s', 'decode img/s',
              'encode peak (MiB)', 'decode peak (MiB)']
    print(format_table(header, rows, align=['left', 'left'] + ['right'] * 5))
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(dict(
            config=args.config, checkpoint=args.checkpoint, device=device.type,
            device_name=device_name(device), dtype=args.dtype, torch=torch.__version__,
            threads=threads, batch_size=args.batch_size,
            records=[r.as_dict() for r in records]), indent=2))
        print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    run_tool(main)
