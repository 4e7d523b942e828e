"""Encode+decode speed and peak memory of a tokenizer config, side by side with the SD-VAE.

    python tools/analysis_tools/benchmark.py configs/vitok/s-b_16_256p.py
    python tools/analysis_tools/benchmark.py configs/vitok/s-b_16_256p.py --dtype bf16 --profile
    python tools/analysis_tools/benchmark.py configs/vitok/s-b_16_256p.py --device cuda \
        --batch-size 32 --dtype bf16 --json work_dirs/benchmark/s-b_16_256p.json
    python tools/analysis_tools/benchmark.py configs/vitok_video/s-b_4x8_128p_16f.py \
        --shape 16 128 128

Measured for the config's model and, for images, for the Stable Diffusion VAE
architecture at the same input size (diffusers ``AutoencoderKL`` in SD's layout with
random weights; nothing is downloaded; ``pip install -e .[bench]`` installs diffusers):

- time: ``decode(encode(x).mode())`` of one batch under ``torch.inference_mode()``
  (``--dtype bf16``: under ``torch.autocast``, weights stay fp32), median of ``--iters``
  runs after ``--warmup`` untimed ones. The two models' timed runs alternate, so slow
  drifts (clocks, a neighbour's job) reach both. Other processes busy on the same cores
  are another matter: they stall every multi-threaded operator until all its threads
  are scheduled, which slows a model of many small operators (a ViT) far more than one
  of few large ones (the SD-VAE's convolutions). So the report gives the share of CPU
  time other processes took during the timed runs and flags it above 10 %.
- GMAC/s: encode+decode multiply-accumulates, counted as ``get_flops.py`` counts them,
  times the batch, over the time; and its fraction of the machine's GEMM peak in that
  dtype. The peak is the best of a large square ``torch.matmul`` and, on CPU, the same
  GEMM run by oneDNN as a 1x1 convolution and by vitok_mm's ``Linear`` layer: matmul
  goes through the BLAS (MKL), which does not use the widest vector units on every
  CPU, while convolutions and float32 CPU inference of ``Linear`` use oneDNN.
- peak memory: what one encode+decode needs on top of the loaded model and input.
  CUDA: ``torch.cuda.max_memory_allocated()`` minus ``memory_allocated()`` before the
  run. CPU: the peak resident set size (``VmHWM`` of ``/proc/self/status``, reset by
  writing 5 to ``/proc/self/clear_refs``) minus the resident size before the run; freed
  heap is first handed back with glibc's ``malloc_trim``, otherwise memory kept from the
  warmup would be reused without showing up. Where the peak cannot be reset (not Linux)
  the increase of ``getrusage``'s ``ru_maxrss`` is used, a lower bound.

With ``--profile``, a model below 80 % of the GEMM peak is run once more under
``torch.profiler`` and its 15 most expensive operators (self time) are printed.
"""
import argparse
import json
from pathlib import Path
from typing import List

import torch
from mmengine.config import DictAction

from vitok_mm.analysis import (
    DTYPES,
    GEMM_SIZE,
    build_candidates,
    build_on_meta,
    candidate_record,
    count_complexity,
    device_name,
    gemm_peak,
    input_shape_of,
    measure,
    memory_method,
    profile_table,
    sd_vae_params_note,
    select_device,
    set_threads,
)
from vitok_mm.analysis.benchmark import EFFICIENCY_TARGET, OTHER_LOAD_LIMIT, PROFILE_ROWS
from vitok_mm.apis import load_inference_config
from vitok_mm.cli import add_debug_argument, non_negative_int, positive_int, run_tool
from vitok_mm.utils.table import format_rows, format_table


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file with a `model`')
    parser.add_argument('--batch-size', type=positive_int, default=1)
    parser.add_argument('--dtype', choices=tuple(DTYPES), default='fp32',
                        help='fp32, or bf16 autocast (default: fp32)')
    parser.add_argument('--device', choices=('cpu', 'cuda'),
                        help='default: cuda when available, else cpu')
    parser.add_argument(
        '--shape', type=int, nargs='+',
        help='input size: H W for images, T H W for video (default: the config\'s input_shape)')
    parser.add_argument('--warmup', type=non_negative_int, default=3,
                        help='untimed runs per model before timing (default: 3)')
    parser.add_argument('--iters', type=positive_int, default=10,
                        help='timed runs per model (default: 10)')
    parser.add_argument('--threads', type=positive_int,
                        help='CPU threads for torch (default: every core this process may use)')
    parser.add_argument('--no-sd-vae', action='store_true',
                        help='benchmark the config only, not the SD-VAE next to it')
    parser.add_argument('--profile', action='store_true',
                        help='profile one run of each model below 80%% of the GEMM peak')
    parser.add_argument('--json', metavar='OUT', help='also write every number to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.decoder.depth=24')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def table_row(name: str, record: dict) -> List[str]:
    return [name, f'{record["params"] / 1e6:.1f}', f'{record["gmacs_per_sample"]:.1f}',
            f'{record["seconds_per_batch"]:.3f}', f'{record["samples_per_second"]:.2f}',
            f'{record["gmacs_per_second"]:.1f}', f'{record["fraction_of_gemm_peak"]:.0%}',
            f'{record["peak_memory_mib"]:.0f}']


def main(argv=None) -> int:
    args = parse_args(argv)
    device = select_device(args.device)
    if args.dtype == 'bf16' and device.type == 'cuda' and not torch.cuda.is_bf16_supported():
        raise SystemExit(f'{torch.cuda.get_device_name(device)} does not support bf16; '
                         'use --dtype fp32.')
    threads = set_threads(args.threads)
    cfg = load_inference_config(args.config, args.cfg_options)
    shape = input_shape_of(cfg, args.shape)
    # Counted on the meta device: instant, and attention is counted with the math
    # kernel whatever backend the real model picks.
    complexity = count_complexity(build_on_meta(cfg.model), shape)
    candidates, sd_vae_skipped = build_candidates(cfg, complexity, shape, device,
                                                  args.no_sd_vae)
    x = torch.rand((args.batch_size, *shape), device=device) * 2 - 1
    peaks = gemm_peak(device, args.dtype)
    peak = max(peaks.values())
    method = memory_method(device)

    gemm_text = ', '.join(f'{kernel} {rate:.0f}' for kernel, rate in peaks.items())
    environment = [
        ('config', args.config),
        ('input', f'{args.batch_size} x {"x".join(map(str, shape))} (batch x sample)'),
        ('device', f'{device.type} ({device_name(device)})'),
        ('dtype', args.dtype if args.dtype == 'fp32' else 'bf16 (autocast, fp32 weights)'),
        ('torch', torch.__version__),
        ('threads', str(threads)),
        ('GEMM peak', f'{peak:.0f} GMAC/s ({args.dtype} {GEMM_SIZE[device.type]}^3: '
                      f'{gemm_text})'),
        ('timing', f'median of {args.iters} timed run(s) after {args.warmup} warmup run(s)'
                   + (', models interleaved' if len(candidates) > 1 else '')),
        ('peak memory', method),
    ]
    if device.type == 'cuda':
        environment.append(('tf32', f'matmul {torch.backends.cuda.matmul.allow_tf32}, '
                                    f'cudnn {torch.backends.cudnn.allow_tf32}'))
    print(format_rows(environment), end='\n\n', flush=True)  # measuring takes a while

    other_load = measure(candidates, x, device, args.dtype, args.warmup, args.iters)
    records = {c.name: candidate_record(c, args.batch_size, peak) for c in candidates}
    header = ['model', 'params (M)', 'GMACs', 's/batch', 'samples/s', 'GMAC/s', 'of peak',
              'peak mem (MiB)']
    print(format_table(header, [table_row(name, rec) for name, rec in records.items()],
                       align=['left'] + ['right'] * (len(header) - 1)))
    print()

    notes = []
    if other_load is not None:
        notes.append(f'other processes took {other_load:.0%} of the CPU time during the timed runs'
                     + (' (high: timings are unreliable; rerun on an idle machine or '
                        'with fewer --threads than free cores)'
                        if other_load > OTHER_LOAD_LIMIT else ''))
    speed_ratio = None
    if sd_vae_skipped is None:
        vitok, sd_vae = candidates
        speed_ratio = sd_vae.median_seconds / vitok.median_seconds
        notes.append(f'ViTok / SD-VAE speed: {speed_ratio:.2f}x (SD-VAE s/batch over ViTok '
                     f's/batch; MACs ratio {sd_vae.complexity.macs / complexity.macs:.1f}x)')
        notes.append(sd_vae_params_note(sd_vae.model))
    else:
        notes.append(f'SD-VAE: {sd_vae_skipped}')
    print(format_rows([('note', note) for note in notes]))

    slow = [c for c in candidates if records[c.name]['fraction_of_gemm_peak'] < EFFICIENCY_TARGET]
    if slow and args.profile:
        for candidate in slow:
            sort_by, table = profile_table(candidate.model, x, device, args.dtype,
                                           PROFILE_ROWS)
            print(f'\nprofile of {candidate.name}: top {PROFILE_ROWS} operators by {sort_by}')
            print(table)
    elif slow:
        names = ' and '.join(c.name for c in slow)
        print(f'hint: {names} reach{"es" if len(slow) == 1 else ""} less than '
              f'{EFFICIENCY_TARGET:.0%} of the GEMM peak; rerun with --profile to see '
              'which operators take the time.')

    if args.json:
        result = dict(
            config=args.config, input_shape=list(shape), batch_size=args.batch_size,
            device=device.type, device_name=device_name(device), dtype=args.dtype,
            torch=torch.__version__, threads=threads, warmup=args.warmup, iters=args.iters,
            gemm_size=GEMM_SIZE[device.type], gemm_peak_gmacs_per_second=peak,
            gemm_gmacs_per_second_by_kernel=peaks, peak_memory_method=method,
            other_load=other_load, models=records, speed_ratio_vitok_over_sd_vae=speed_ratio,
            sd_vae_skipped=sd_vae_skipped)
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + '\n')
        print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    run_tool(main)
