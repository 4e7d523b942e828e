"""The measuring primitives of vitok_mm.analysis: device, GEMM peak, peak memory, CPU load,
and the interleaved encode+decode timing of vitok_mm.analysis.benchmark."""
import time
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from vitok_mm.analysis import (
    Candidate,
    Complexity,
    best_rate,
    build_candidates,
    candidate_record,
    compute_context,
    gemm_kernels,
    gemm_peak,
    measure,
    memory_method,
    other_process_share,
    peak_memory,
    profile_table,
    select_device,
    set_threads,
    timed_run,
)
from vitok_mm.analysis import memory as memory_module
from vitok_mm.analysis.memory import MIB, reset_peak_rss

from ..conftest import tiny_vitok_config

CPU = torch.device('cpu')
BUFFER = 64 * MIB
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
needs_clear_refs = pytest.mark.skipif(not reset_peak_rss(),
                                      reason='VmHWM cannot be reset here (not Linux >= 4.0)')


# ----------------------------------------------------------------------------- device

def test_select_device_refuses_what_torch_cannot_use():
    assert select_device('cpu') == CPU
    if not torch.cuda.is_available():
        assert select_device() == CPU
        with pytest.raises(ValueError, match='--device cuda was requested, but CUDA is not'):
            select_device('cuda')
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda', got 'tpu'"):
        select_device('tpu')


def test_set_threads_sets_torch_threads():
    before = torch.get_num_threads()
    try:
        assert set_threads(1) == 1 == torch.get_num_threads()
        assert set_threads() >= 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError, match='threads must be >= 1'):
        set_threads(0)


def test_compute_context_is_inference_mode_with_bf16_autocast_on_request():
    with compute_context(CPU, 'fp32'):
        assert torch.is_inference_mode_enabled()
        assert not torch.is_autocast_enabled('cpu')
    with compute_context(CPU, 'bf16'):
        assert torch.is_inference_mode_enabled()
        assert torch.is_autocast_enabled('cpu')
        assert (torch.ones(4, 4) @ torch.ones(4, 4)).dtype == torch.bfloat16
    with pytest.raises(ValueError, match='dtype must be one of'):
        with compute_context(CPU, 'fp16'):
            pass


# ----------------------------------------------------------------------------- GEMM peak

def test_gemm_kernels_compute_the_products_they_name():
    generator = torch.Generator().manual_seed(0)
    a, b = torch.randn(64, 64, generator=generator), torch.randn(64, 64, generator=generator)
    a64, b64 = a.double(), b.double()
    expected = {'torch.matmul': a64 @ b64, 'oneDNN (1x1 conv)': b64 @ a64,
                'vitok_mm Linear': a64 @ b64.T}
    with torch.inference_mode():  # where the Linear layer takes its oneDNN path
        kernels = gemm_kernels(a, b)
        assert 'torch.matmul' in kernels
        for name, kernel in kernels.items():
            product = kernel().reshape(64, 64).double()
            torch.testing.assert_close(product, expected[name], rtol=1e-4, atol=1e-4)
    if torch.backends.mkldnn.is_available():
        assert set(kernels) == set(expected)
    with pytest.raises(ValueError, match=r'two \(S, S\) matrices'):
        gemm_kernels(a, b[:32])


def test_gemm_peak_rates_every_kernel():
    peaks = gemm_peak(CPU, 'fp32', size=128, repeats=2)
    with torch.inference_mode():
        names = set(gemm_kernels(torch.zeros(2, 2), torch.zeros(2, 2)))
    assert set(peaks) == names
    assert all(rate > 0 for rate in peaks.values()), peaks
    assert set(gemm_peak(CPU, 'bf16', size=64, repeats=1)) == names
    with pytest.raises(ValueError, match='dtype must be one of'):
        gemm_peak(CPU, 'int8')


def test_best_rate_takes_the_fastest_run():
    durations = iter([0.0, 0.0, 0.05, 0.02, 0.08])  # two warmup runs, then three timed
    rate = best_rate(lambda: time.sleep(next(durations)), macs=10 ** 7, device=CPU, repeats=3)
    # 1e7 MACs in the fastest run (>= 20 ms): at most 0.5 GMAC/s, and far above the slow runs'.
    assert 0.1 < rate <= 0.5


# ----------------------------------------------------------------------------- peak memory

@needs_clear_refs
def test_peak_memory_of_a_touched_buffer_is_its_size():
    """64 MiB allocated and written: within 5 % + 4 MiB of 64 MiB; two at once, of 128."""
    one = peak_memory(lambda: torch.ones(BUFFER // 4), CPU)  # float32, every page written
    assert 0.95 * BUFFER <= one <= 1.05 * BUFFER + 4 * MIB, one / MIB
    both = peak_memory(lambda: (torch.ones(BUFFER // 4), torch.ones(BUFFER // 4)), CPU)
    assert 1.95 * BUFFER <= both <= 2.05 * BUFFER + 4 * MIB, both / MIB


@needs_clear_refs
def test_peak_memory_of_nothing_is_small():
    torch.ones(BUFFER // 4)  # a peak before the measurement must not count
    assert peak_memory(lambda: None, CPU) < 2 * MIB
    assert memory_method(CPU).startswith('peak RSS (VmHWM, reset via clear_refs)')


def test_without_clear_refs_the_ru_maxrss_increase_is_used(monkeypatch):
    monkeypatch.setattr(memory_module, 'reset_peak_rss', lambda: False)
    assert memory_method(CPU).startswith('increase of getrusage ru_maxrss (lower bound')
    reads = iter([100 * MIB, 164 * MIB])
    monkeypatch.setattr(memory_module, 'max_rss_bytes', lambda: next(reads))
    assert peak_memory(lambda: None, CPU) == 64 * MIB


@needs_cuda
def test_cuda_peak_memory_counts_the_allocation_on_top_of_what_is_there():
    device = torch.device('cuda')
    kept = torch.ones(BUFFER // 4, device=device)  # allocated before: not counted
    assert peak_memory(lambda: torch.ones(BUFFER // 4, device=device), device) == BUFFER
    assert peak_memory(lambda: None, device) == 0
    del kept


# ----------------------------------------------------------------------------- CPU load

def test_other_process_share():
    # 20 s busy on the machine, 5 s of them ours, in 40 s of total CPU time.
    assert other_process_share((10.0, 2.0, 100.0), (30.0, 7.0, 140.0)) == pytest.approx(0.375)
    assert other_process_share((0.0, 0.0, 0.0), (1.0, 5.0, 10.0)) == 0.0  # clamped
    assert other_process_share((0.0, 0.0, 0.0), (50.0, 0.0, 10.0)) == 1.0
    assert other_process_share(None, (1.0, 1.0, 1.0)) is None
    assert other_process_share((1.0, 1.0, 5.0), (1.0, 1.0, 5.0)) is None  # no time passed


# ----------------------------------------------------------------------------- benchmark

class Recorder(nn.Module):
    """Records each encode+decode in a shared log; ``decode`` sleeps ``seconds``."""

    def __init__(self, name: str, log: list, seconds: float = 0.0):
        super().__init__()
        self.name, self.log, self.seconds = name, log, seconds
        self.scale = nn.Parameter(torch.ones(()))

    def encode(self, x):
        self.log.append((self.name, torch.is_inference_mode_enabled(),
                         torch.is_autocast_enabled('cpu')))
        return SimpleNamespace(mode=lambda: x * self.scale)

    def decode(self, z):
        time.sleep(self.seconds)
        return z


def _complexity(macs=10 ** 9):
    return Complexity(params=1, macs=macs, macs_by_module={})


def test_measure_times_every_candidate_in_interleaved_order():
    log = []
    candidates = [Candidate('A', Recorder('A', log, 0.01), _complexity()),
                  Candidate('B', Recorder('B', log, 0.0), _complexity())]
    share = measure(candidates, torch.zeros(1, 3, 4, 4), CPU, 'bf16', warmup=2, iters=3)
    # Per model: warmups, then the peak-memory run; then the timed runs, alternating.
    assert [name for name, _, _ in log] == ['A'] * 3 + ['B'] * 3 + ['A', 'B'] * 3
    assert all(inference and autocast for _, inference, autocast in log)
    assert [len(c.seconds) for c in candidates] == [3, 3]
    assert min(candidates[0].seconds) >= 0.01 > 0
    assert all(s > 0 for s in candidates[1].seconds)
    assert share is None or 0.0 <= share <= 1.0
    with pytest.raises(ValueError, match='iters >= 1'):
        measure(candidates, torch.zeros(1), CPU, 'fp32', warmup=0, iters=0)


def test_timed_run_counts_the_whole_encode_decode():
    assert timed_run(Recorder('A', [], 0.02), torch.zeros(1), CPU) >= 0.02


def test_candidate_record_derives_rates_from_the_median():
    model = nn.Linear(256, 256)
    candidate = Candidate('ViTok', model, _complexity(macs=10 ** 9), seconds=[0.2, 0.1, 0.3],
                          peak_memory=3 * MIB)
    record = candidate_record(candidate, batch_size=2, peak=20.0)
    assert record['seconds_per_batch'] == 0.2 and record['seconds_all'] == [0.2, 0.1, 0.3]
    assert record['samples_per_second'] == pytest.approx(10.0)
    assert record['gmacs_per_second'] == pytest.approx(10.0)  # 2 x 1 GMAC in 0.2 s
    assert record['fraction_of_gemm_peak'] == pytest.approx(0.5)
    assert record['peak_memory_mib'] == 3.0
    assert record['weights_mib'] == pytest.approx((256 * 256 + 256) * 4 / MIB)


def test_build_candidates_without_the_sd_vae():
    from mmengine.config import Config
    cfg = Config(dict(model=tiny_vitok_config()))
    candidates, skipped = build_candidates(cfg, _complexity(), (3, 16, 16), CPU, no_sd_vae=True)
    assert skipped == 'skipped (--no-sd-vae)'
    assert [c.name for c in candidates] == ['ViTok']
    assert not candidates[0].model.training
    # Seeded: the same weights every time.
    again, _ = build_candidates(cfg, _complexity(), (3, 16, 16), CPU, no_sd_vae=True)
    for mine, theirs in zip(candidates[0].model.parameters(), again[0].model.parameters()):
        assert torch.equal(mine, theirs)


def test_profile_table_lists_operators_by_self_time():
    from vitok_mm.models import ViTok  # noqa: F401 - registers the tokenizer
    from vitok_mm.registry import MODELS
    model = MODELS.build(tiny_vitok_config()).eval()
    sort_by, table = profile_table(model, torch.zeros(1, 3, 16, 16), CPU, 'fp32', rows=5)
    assert sort_by == 'self_cpu_time_total'
    assert 'aten::' in table and 'Self CPU' in table
