"""Training and sampling speed, peak memory and MFU of a DiT config, per size.

    python tools/analysis_tools/benchmark_dit.py configs/dit/dit-xl_s-b_16_256p.py \
        --sizes S B --train-batch 8 --sample-batch 4 --steps 10
    python tools/analysis_tools/benchmark_dit.py configs/dit/dit-xl_s-b_16_256p.py \
        --device cuda --dtype bf16 --sizes B XL --train-batch 256 --backend xformers sdpa \
        --peak-tflops 989 --json work_dirs/benchmark/dit_256p.json

Per size (and attention backend): one AdamW step of a batch of random latents (the
config's latent shape) under bf16 autocast or fp32, median of ``--iters`` after
``--warmup``; training MACs are 3x one forward per sample; MFU is that rate over
``--peak-tflops`` (the accelerator's dense peak in TFLOPS, 2 FLOPs per MAC) or, without
it, over the measured GEMM peak of this device and dtype. Sampling: ``model.sample`` of
``--sample-batch`` latents with the final-sampling solver (DDPM-250 for diffusion, the
config's solver for flow; ``--solver``/``--steps`` to change), at ``--cfg-scale``,
without decoding. Memory: weights, gradients and AdamW state, and the training step's
peak with them. See :mod:`vitok_mm.analysis.generator`.
"""
import argparse
import json
from pathlib import Path

import torch
from mmengine.config import DictAction

from vitok_mm.analysis import (
    DTYPES,
    GEMM_SIZE,
    device_name,
    gemm_peak,
    memory_method,
    select_device,
    set_threads,
)
from vitok_mm.analysis.generator import benchmark_generator, generator_config
from vitok_mm.apis import load_inference_config
from vitok_mm.cli import add_debug_argument, non_negative_int, positive_int, run_tool
from vitok_mm.models.generators.dit import DIT_SIZES
from vitok_mm.utils.table import format_rows, format_table


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a generator config (configs/dit/...)')
    parser.add_argument('--sizes', nargs='+', type=str.upper, choices=tuple(DIT_SIZES),
                        help="DiT sizes to measure (default: the config's own)")
    parser.add_argument('--backend', nargs='+', default=[None],
                        choices=('auto', 'sdpa', 'xformers', 'math'),
                        help="attention backends to compare (default: the config's)")
    parser.add_argument('--train-batch', type=positive_int, default=8)
    parser.add_argument('--sample-batch', type=positive_int, default=4)
    parser.add_argument('--dtype', choices=tuple(DTYPES), default='bf16',
                        help='bf16 autocast (default, as the configs train) or fp32')
    parser.add_argument('--device', choices=('cpu', 'cuda'),
                        help='default: cuda when available, else cpu')
    parser.add_argument('--warmup', type=non_negative_int, default=2)
    parser.add_argument('--iters', type=positive_int, default=5,
                        help='timed training steps (default: 5)')
    parser.add_argument('--sample-iters', type=non_negative_int, default=1,
                        help='timed sampling batches (default: 1; 0 skips sampling)')
    parser.add_argument('--solver',
                        help='ddpm, ddim, euler, heun or sde (default: see above)')
    parser.add_argument('--steps', type=positive_int, help='solver steps')
    parser.add_argument('--cfg-scale', type=float, default=1.5,
                        help='guidance scale of sampling (default 1.5; 1 is one pass)')
    parser.add_argument('--peak-tflops', type=float,
                        help='dense peak of the device in TFLOPS for the MFU (e.g. 989 for '
                             'an H100/H200 in bf16); default: the measured GEMM peak')
    parser.add_argument('--threads', type=positive_int,
                        help='CPU threads for torch (default: every core this process may use)')
    parser.add_argument('--json', metavar='OUT', help='also write every number to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.generator.depth=4')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    device = select_device(args.device)
    cfg = load_inference_config(args.config, args.cfg_options)
    if 'generator' not in cfg.get('model', {}):
        raise SystemExit(f'{args.config} is not a generator config (its model has no '
                         '`generator`); for tokenizers use tools/analysis_tools/benchmark.py.')
    threads = set_threads(args.threads)
    if args.peak_tflops is not None:
        peak, peak_text = args.peak_tflops * 1e3 / 2, f'{args.peak_tflops:g} TFLOPS (given)'
    else:
        peaks = gemm_peak(device, args.dtype)
        peak = max(peaks.values())
        peak_text = f'measured GEMM peak {peak:.0f} GMAC/s ({args.dtype} ' \
                    f'{GEMM_SIZE[device.type]}^3)'
    print(format_rows([
        ('config', args.config),
        ('latents', f'{"x".join(map(str, cfg.model.latent_shape))}'),
        ('batches', f'training {args.train_batch}, sampling {args.sample_batch}'),
        ('device', f'{device.type} ({device_name(device)})'),
        ('dtype', args.dtype if args.dtype == 'fp32' else 'bf16 (autocast, fp32 weights)'),
        ('torch', torch.__version__), ('threads', str(threads)),
        ('MFU against', peak_text),
        ('timing', f'median of {args.iters} step(s) after {args.warmup} warmup step(s); '
                   f'{args.sample_iters} sampling batch(es)'),
        ('peak memory', memory_method(device)),
    ]), end='\n\n', flush=True)

    records, rows = {}, []
    for size in args.sizes or [None]:
        for backend in args.backend:
            name = ' '.join(x for x in (f'DiT-{size}' if size else 'config', backend) if x)
            try:
                model_cfg = generator_config(cfg, size, backend)
                run = benchmark_generator(
                    name, model_cfg, device, args.dtype, args.train_batch, args.sample_batch,
                    args.warmup, args.iters, solver=args.solver, num_steps=args.steps,
                    cfg_scale=args.cfg_scale, sample_iters=args.sample_iters)
            except ValueError as error:
                raise SystemExit(f'{name}: {error}') from None
            except torch.cuda.OutOfMemoryError:
                print(f'{name}: out of memory at training batch {args.train_batch}; '
                      'rerun with a smaller --train-batch', flush=True)
                torch.cuda.empty_cache()
                continue
            record = records[name] = run.record(peak)
            rows.append([
                name, f'{record["params"] / 1e6:.2f}', f'{record["gmacs_forward"]:.2f}',
                f'{record["train_samples_per_second"]:.1f}', f'{record["mfu"]:.1%}',
                f'{record["train_peak_memory_mib"]:.0f}', f'{record["state_mib"]:.0f}',
                str(record['nfe']),
                f'{record["samples_per_second"]:.3g}' if 'samples_per_second' in record
                else '-'])
            print(f'measured {name}', flush=True)
    print()
    header = ['model', 'params (M)', 'GMACs/fwd', 'train samples/s', 'MFU',
              'train peak (MiB)', 'state (MiB)', 'NFE', 'sampled/s']
    print(format_table(header, rows, align=['left'] + ['right'] * (len(header) - 1)))
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(dict(
            config=args.config, device=device.type, device_name=device_name(device),
            dtype=args.dtype, torch=torch.__version__, threads=threads,
            peak_gmacs_per_second=peak, peak=peak_text, cfg_scale=args.cfg_scale,
            models=records), indent=2) + '\n')
        print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    run_tool(main)
