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
import contextlib
import ctypes
import ctypes.util
import json
import os
import platform
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from torch import nn

from vitok_mm.analysis import Complexity, build_on_meta, count_complexity
from vitok_mm.analysis.config import input_shape_of
from vitok_mm.models.layers import Linear

DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16}
#: A model below this fraction of the GEMM peak is worth a profile.
EFFICIENCY_TARGET = 0.8
#: Side of the square GEMM that measures the peak: large enough to reach it, small
#: enough to take well under a second.
GEMM_SIZE = {'cpu': 2048, 'cuda': 8192}
PROFILE_ROWS = 15
#: Share of the CPU time taken by other processes above which timings are flagged.
OTHER_LOAD_LIMIT = 0.1
MIB = 2 ** 20

#: Stable Diffusion's VAE (the ``vae`` of the SD 1.x / 2.x checkpoints) as
#: ``diffusers.AutoencoderKL`` arguments.
SD_VAE_LAYOUT = dict(
    in_channels=3, out_channels=3,
    down_block_types=('DownEncoderBlock2D', ) * 4,
    up_block_types=('UpDecoderBlock2D', ) * 4,
    block_out_channels=(128, 256, 512, 512),
    layers_per_block=2, latent_channels=4, norm_num_groups=32, act_fn='silu')
#: Three stride-2 downsamplings: H and W must be multiples of 8.
SD_VAE_STRIDE = 8


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be a positive integer, got {text}')
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be >= 0, got {text}')
    return value


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
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- environment

def select_device(name: Optional[str]) -> torch.device:
    if name is None:
        name = 'cuda' if torch.cuda.is_available() else 'cpu'
    if name == 'cuda' and not torch.cuda.is_available():
        raise SystemExit(
            f'--device cuda was requested, but CUDA is not available to torch '
            f'{torch.__version__} (CUDA build: {torch.version.cuda}); use --device cpu.')
    return torch.device(name)


def set_threads(threads: Optional[int]) -> int:
    """Use ``threads`` CPU threads, by default one per core this process may run on.

    torch's own default can be lower (physical cores of the whole machine, or a
    container's limit read differently), which would understate CPU throughput.
    """
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') \
            else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    return torch.get_num_threads()


def device_name(device: torch.device) -> str:
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    with contextlib.suppress(OSError):
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    return platform.processor() or platform.machine()


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


@contextlib.contextmanager
def compute_context(device: torch.device, dtype: str) -> Iterator[None]:
    """Inference mode, plus bf16 autocast for ``dtype='bf16'``."""
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16,
                                                enabled=dtype == 'bf16'):
        yield


# ----------------------------------------------------------------------------- GEMM peak

def best_rate(run: Callable[[], object], macs: int, device: torch.device,
              repeats: int = 5) -> float:
    """GMAC/s of the fastest of ``repeats`` runs (after two warmup runs)."""
    seconds = []
    for index in range(2 + repeats):
        synchronize(device)
        start = time.perf_counter()
        run()
        synchronize(device)
        if index >= 2:
            seconds.append(time.perf_counter() - start)
    return macs / min(seconds) / 1e9


def gemm_peak(device: torch.device, dtype: str) -> Dict[str, float]:
    """GMAC/s of a large square GEMM in ``dtype``, by the kernels torch can run it with."""
    size = GEMM_SIZE[device.type]
    a = torch.randn(size, size, device=device, dtype=DTYPES[dtype])
    b = torch.randn(size, size, device=device, dtype=DTYPES[dtype])
    with torch.inference_mode():
        peaks = {'torch.matmul': best_rate(lambda: torch.mm(a, b), size ** 3, device)}
        if device.type == 'cpu' and torch.backends.mkldnn.is_available():
            # The same GEMM as a 1x1 convolution runs on oneDNN's kernels, not the BLAS.
            image, weight = a.view(1, size, size, 1), b.view(size, size, 1, 1)
            peaks['oneDNN (1x1 conv)'] = best_rate(
                lambda: F.conv2d(image, weight), size ** 3, device)
            # The linear layer the towers use (oneDNN for float32 CPU inference).
            linear = Linear(size, size, bias=False).to(DTYPES[dtype])
            linear.weight.data.copy_(b)
            peaks['vitok_mm Linear'] = best_rate(lambda: linear(a), size ** 3, device)
    return peaks


# ----------------------------------------------------------------------------- peak memory

def _status_kib(field_name: str) -> int:
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(field_name + ':'):
                return int(line.split()[1])
    raise OSError(f'{field_name} is not in /proc/self/status')


def _reset_peak_rss() -> bool:
    """Set VmHWM back to the current resident size (Linux >= 4.0); False where impossible."""
    try:
        with open('/proc/self/clear_refs', 'w') as clear_refs:
            clear_refs.write('5')
        _status_kib('VmHWM')
    except OSError:
        return False
    return True


def _release_free_heap() -> None:
    """Return freed heap pages to the OS so that reusing them raises the resident size."""
    libc_name = ctypes.util.find_library('c')
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(libc_name).malloc_trim(0)


def _max_rss_bytes() -> int:
    scale = 1 if sys.platform == 'darwin' else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def memory_method(device: torch.device) -> str:
    """How :func:`peak_memory` measures on ``device``, for the report."""
    if device.type == 'cuda':
        return 'torch.cuda.max_memory_allocated - memory_allocated before the run'
    if _reset_peak_rss():
        return 'peak RSS (VmHWM, reset via clear_refs) - RSS before the run, after malloc_trim'
    return 'increase of getrusage ru_maxrss (lower bound: the peak cannot be reset here)'


def peak_memory(run: Callable[[], object], device: torch.device) -> int:
    """Bytes that ``run()`` needs beyond what is allocated (CUDA) or resident (CPU) before it."""
    if device.type == 'cuda':
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        run()
        synchronize(device)
        return torch.cuda.max_memory_allocated(device) - before
    _release_free_heap()
    if _reset_peak_rss():
        before = _status_kib('VmRSS')
        run()
        return max(0, _status_kib('VmHWM') - before) * 1024
    before = _max_rss_bytes()
    run()
    return _max_rss_bytes() - before


# ----------------------------------------------------------------------------- other load

def _cpu_seconds() -> Optional[Tuple[float, float, float]]:
    """CPU seconds so far: busy on the whole machine, used by this process, and in total.

    Their differences over the timed runs tell how much CPU other processes took: on a
    shared machine they stall the OpenMP threads, and every operator pays for it, so
    a model of many small operators slows down more than one of few large ones.
    """
    try:
        with open('/proc/stat') as stat:
            ticks = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal; guest time is inside user time.
    idle = ticks[3] + ticks[4]
    tick = os.sysconf('SC_CLK_TCK')
    own = os.times()
    return (sum(ticks) - idle) / tick, own.user + own.system, sum(ticks) / tick


# ----------------------------------------------------------------------------- models

class DiffusersVAE(nn.Module):
    """``diffusers.AutoencoderKL`` behind ViTok's interface: ``encode(x).mode()``, ``decode(z)``.

    Lets :func:`count_complexity` and the timing loop treat both models alike.
    Shapes: ``(N, 3, H, W)`` -> posterior over ``(N, 4, H/8, W/8)`` -> ``(N, 3, H, W)``.
    """

    def __init__(self, vae: nn.Module):
        super().__init__()
        self.vae = vae

    def encode(self, x: torch.Tensor):
        return self.vae.encode(x).latent_dist

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(z).sample


def build_sd_vae(image_size: Sequence[int]) -> DiffusersVAE:
    """SD's VAE architecture with random weights, on the current default device."""
    from diffusers import AutoencoderKL
    return DiffusersVAE(AutoencoderKL(**SD_VAE_LAYOUT, sample_size=max(image_size)))


def sd_vae_skip_reason(shape: Sequence[int], no_sd_vae: bool) -> Optional[str]:
    """Why the SD-VAE is not benchmarked next to the config, or None when it is."""
    if no_sd_vae:
        return 'skipped (--no-sd-vae)'
    try:
        import diffusers  # noqa: F401
    except ImportError:
        return 'skipped: diffusers is not installed; install it with `pip install -e .[bench]`'
    if len(shape) != 3:
        return (f'skipped: the SD-VAE is an image model and the input is video '
                f'({"x".join(map(str, shape))})')
    if any(size % SD_VAE_STRIDE for size in shape[1:]):
        return f'skipped: its H and W must be multiples of {SD_VAE_STRIDE}, got {shape[1:]}'
    return None


@dataclass
class Candidate:
    """One model under test and what was measured for it."""
    name: str
    model: nn.Module
    complexity: Complexity
    seconds: List[float] = field(default_factory=list)
    peak_memory: int = 0  # bytes

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    def gmacs_per_second(self, batch_size: int) -> float:
        return self.complexity.macs * batch_size / self.median_seconds / 1e9


def run_once(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model.decode(model.encode(x).mode())


def timed_run(model: nn.Module, x: torch.Tensor, device: torch.device) -> float:
    synchronize(device)
    start = time.perf_counter()
    run_once(model, x)
    synchronize(device)
    return time.perf_counter() - start


def measure(candidates: Sequence[Candidate], x: torch.Tensor, device: torch.device,
            dtype: str, warmup: int, iters: int) -> Optional[float]:
    """Fill in each candidate's peak memory and ``iters`` timings, interleaving the models.

    Returns the share of the machine's CPU time other processes took during the timed
    runs (None where it cannot be read).
    """
    with compute_context(device, dtype):
        for candidate in candidates:
            for _ in range(warmup):
                run_once(candidate.model, x)
            candidate.peak_memory = peak_memory(partial(run_once, candidate.model, x), device)
        start = _cpu_seconds()
        for _ in range(iters):
            for candidate in candidates:
                candidate.seconds.append(timed_run(candidate.model, x, device))
        end = _cpu_seconds()
    if start is None or end is None or end[2] <= start[2]:
        return None
    others = (end[0] - start[0]) - (end[1] - start[1])
    return min(1.0, max(0.0, others / (end[2] - start[2])))


def print_profile(candidate: Candidate, x: torch.Tensor, device: torch.device,
                  dtype: str) -> None:
    """One encode+decode under torch.profiler; the top operators by self time."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    with compute_context(device, dtype), profile(activities=activities) as prof:
        run_once(candidate.model, x)
        synchronize(device)
    sort_by = 'self_device_time_total' if device.type == 'cuda' else 'self_cpu_time_total'
    print(f'\nprofile of {candidate.name}: top {PROFILE_ROWS} operators by {sort_by}')
    print(prof.key_averages().table(sort_by=sort_by, row_limit=PROFILE_ROWS))


# ----------------------------------------------------------------------------- report

def format_rows(rows: Sequence[Tuple[str, str]]) -> str:
    width = max(len(key) for key, _ in rows)
    return '\n'.join(f'{key:<{width}}  {value}' for key, value in rows)


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[col]) for row in [header, *rows]) for col in range(len(header))]
    lines = ['  '.join(cell.ljust(width) if col == 0 else cell.rjust(width)
                       for col, (cell, width) in enumerate(zip(row, widths)))
             for row in [header, *rows]]
    lines.insert(1, '  '.join('-' * width for width in widths))
    return '\n'.join(lines)


def candidate_record(candidate: Candidate, batch_size: int, peak: float) -> dict:
    rate = candidate.gmacs_per_second(batch_size)
    weights = sum(p.numel() * p.element_size() for p in candidate.model.parameters())
    return dict(
        params=candidate.complexity.params,
        gmacs_per_sample=candidate.complexity.gflops,
        macs_by_module=candidate.complexity.macs_by_module,
        seconds_per_batch=candidate.median_seconds,
        seconds_all=candidate.seconds,
        samples_per_second=batch_size / candidate.median_seconds,
        gmacs_per_second=rate,
        fraction_of_gemm_peak=rate / peak,
        peak_memory_mib=candidate.peak_memory / MIB,
        weights_mib=weights / MIB,
    )


def table_row(name: str, record: dict) -> List[str]:
    return [name, f'{record["params"] / 1e6:.1f}', f'{record["gmacs_per_sample"]:.1f}',
            f'{record["seconds_per_batch"]:.3f}', f'{record["samples_per_second"]:.2f}',
            f'{record["gmacs_per_second"]:.1f}', f'{record["fraction_of_gemm_peak"]:.0%}',
            f'{record["peak_memory_mib"]:.0f}']


def build_candidates(cfg: Config, complexity: Complexity, shape: Sequence[int],
                     device: torch.device, no_sd_vae: bool
                     ) -> Tuple[List[Candidate], Optional[str]]:
    """The config's model and, unless skipped, the SD-VAE; with the reason it was skipped."""
    from vitok_mm.registry import MODELS
    from vitok_mm.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(0)
    candidates = [Candidate('ViTok', MODELS.build(cfg.model).to(device).eval(), complexity)]
    skipped = sd_vae_skip_reason(shape, no_sd_vae)
    if skipped is None:
        with torch.device('meta'):  # counted like the config's model, for free
            sd_vae_complexity = count_complexity(build_sd_vae(shape[1:]), shape)
        sd_vae = build_sd_vae(shape[1:]).to(device).eval()
        candidates.append(Candidate('SD-VAE', sd_vae, sd_vae_complexity))
    return candidates, skipped


def sd_vae_params_note(sd_vae: Candidate) -> str:
    def millions(module: nn.Module) -> str:
        return f'{sum(p.numel() for p in module.parameters()) / 1e6:.1f} M'
    vae = sd_vae.model.vae
    return (f'SD-VAE params as built: {millions(vae)} (encoder {millions(vae.encoder)}, '
            f'decoder {millions(vae.decoder)}, quant convs); the ViTok paper lists 59.3 M.')


def main(argv=None) -> int:
    args = parse_args(argv)
    device = select_device(args.device)
    if args.dtype == 'bf16' and device.type == 'cuda' and not torch.cuda.is_bf16_supported():
        raise SystemExit(f'{torch.cuda.get_device_name(device)} does not support bf16; '
                         'use --dtype fp32.')
    threads = set_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    try:
        shape = input_shape_of(cfg, args.shape)
        # Counted on the meta device: instant, and attention is counted with the
        # math kernel whatever backend the real model picks.
        complexity = count_complexity(build_on_meta(cfg.model), shape)
    except ValueError as error:  # a bad --shape for this model: say so without a traceback
        raise SystemExit(str(error)) from None
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
    print(format_table(header, [table_row(name, rec) for name, rec in records.items()]))
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
        notes.append(sd_vae_params_note(sd_vae))
    else:
        notes.append(f'SD-VAE: {sd_vae_skipped}')
    print(format_rows([('note', note) for note in notes]))

    slow = [c for c in candidates if records[c.name]['fraction_of_gemm_peak'] < EFFICIENCY_TARGET]
    if slow and args.profile:
        for candidate in slow:
            print_profile(candidate, x, device, args.dtype)
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
    sys.exit(main())
