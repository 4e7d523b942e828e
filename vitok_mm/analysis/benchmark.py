"""Encode+decode speed and peak memory of models measured side by side.

Each candidate runs ``decode(encode(x).mode())`` under ``torch.inference_mode()``
(bf16: under autocast, weights stay fp32). The candidates' timed runs alternate, so slow
drifts (clocks, a neighbour's job) reach all of them; other processes busy on the same
cores are reported apart (:mod:`vitok_mm.analysis.cpu_load`).
"""
import statistics
import time
from dataclasses import dataclass, field
from functools import partial
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from torch import nn

from .complexity import Complexity, count_complexity
from .cpu_load import cpu_seconds, other_process_share
from .device import compute_context, synchronize
from .memory import MIB, peak_memory
from .sd_vae import build_sd_vae, sd_vae_skip_reason

#: A model below this fraction of the GEMM peak is worth a profile.
EFFICIENCY_TARGET = 0.8
#: Share of the CPU time taken by other processes above which timings are flagged.
OTHER_LOAD_LIMIT = 0.1
#: Operators listed by :func:`profile_table`.
PROFILE_ROWS = 15


@dataclass
class Candidate:
    """One model under test (``encode``/``decode``) and what was measured for it."""
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
    """``(N, C, ...) -> (N, C, ...)``: decode the posterior mode of ``x``'s encoding."""
    return model.decode(model.encode(x).mode())


def timed_run(model: nn.Module, x: torch.Tensor, device: torch.device) -> float:
    """Seconds of one :func:`run_once`, the device's queued work included."""
    synchronize(device)
    start = time.perf_counter()
    run_once(model, x)
    synchronize(device)
    return time.perf_counter() - start


def measure(candidates: Sequence[Candidate], x: torch.Tensor, device: torch.device,
            dtype: str, warmup: int, iters: int) -> Optional[float]:
    """Fill in each candidate's peak memory and ``iters`` timings, interleaving the models.

    Per candidate: ``warmup`` untimed runs, then one run measured for peak memory. Then
    ``iters`` rounds, each timing every candidate once, in order.

    Returns:
        The share of the machine's CPU time other processes took during the timed runs
        (None where it cannot be read).

    Raises:
        ValueError: ``warmup`` < 0 or ``iters`` < 1.
    """
    if warmup < 0 or iters < 1:
        raise ValueError(f'warmup must be >= 0 and iters >= 1, got {warmup} and {iters}.')
    with compute_context(device, dtype):
        for candidate in candidates:
            for _ in range(warmup):
                run_once(candidate.model, x)
            candidate.peak_memory = peak_memory(partial(run_once, candidate.model, x), device)
        start = cpu_seconds()
        for _ in range(iters):
            for candidate in candidates:
                candidate.seconds.append(timed_run(candidate.model, x, device))
        end = cpu_seconds()
    return other_process_share(start, end)


def candidate_record(candidate: Candidate, batch_size: int, peak: float) -> dict:
    """Every number measured for a candidate; ``peak`` is the GEMM peak in GMAC/s."""
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


def build_candidates(cfg: Config, complexity: Complexity, shape: Sequence[int],
                     device: torch.device, no_sd_vae: bool = False
                     ) -> Tuple[List[Candidate], Optional[str]]:
    """The config's model (``'ViTok'``, seeded with 0) and, unless skipped, the SD-VAE
    (``'SD-VAE'``); with the reason it was skipped (None when it is there)."""
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


def profile_table(model: nn.Module, x: torch.Tensor, device: torch.device, dtype: str,
                  rows: int = PROFILE_ROWS) -> Tuple[str, str]:
    """One encode+decode under torch.profiler: ``(sort key, table of the top operators by
    self time)``."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    with compute_context(device, dtype), profile(activities=activities) as prof:
        run_once(model, x)
        synchronize(device)
    sort_by = 'self_device_time_total' if device.type == 'cuda' else 'self_cpu_time_total'
    return sort_by, prof.key_averages().table(sort_by=sort_by, row_limit=rows)


__all__ = ['Candidate', 'EFFICIENCY_TARGET', 'OTHER_LOAD_LIMIT', 'PROFILE_ROWS',
           'build_candidates', 'candidate_record', 'measure', 'profile_table', 'run_once',
           'timed_run']
