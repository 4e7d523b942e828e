"""tools/analysis_tools/benchmark_dit.py on the quick start's tiny DiT, and the arithmetic
of its record (rates, MFU, memory of the training state)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from vitok_mm.analysis.generator import ADAMW_STATE_BYTES, GeneratorRun, benchmark_generator
from vitok_mm.models.diffusion import build_solver

REPO = Path(__file__).resolve().parents[2]
TINY = dict(type='LatentDiffusion', latent_shape=(4, 4, 4), num_classes=3,
            generator=dict(type='DiT', size=None, width=24, depth=1, num_heads=2),
            diffusion=dict(type='FlowMatching'), solver=dict(type='Euler', num_steps=3),
            data_preprocessor=dict(type='LatentPreprocessor', num_channels=4))


def test_record_rates_and_mfu():
    run = GeneratorRun('x', params=10, forward_macs=2_000_000_000, train_batch=8,
                       sample_batch=4, nfe=6, train_seconds=[4.0, 1.0, 2.0],
                       sample_seconds=[0.5], train_peak_bytes=3 * 2**20, state_bytes=2**20)
    record = run.record(peak_gmacs=48.0)
    assert record['train_seconds_per_step'] == 2.0  # the median
    assert record['train_samples_per_second'] == 4.0
    assert record['train_gmacs_per_second'] == 3 * 2.0 * 4.0  # forward + backward
    assert record['mfu'] == 0.5
    assert record['samples_per_second'] == 8.0
    assert record['train_peak_memory_mib'] == 3.0 and record['state_mib'] == 1.0


def test_measures_what_it_builds():
    run = benchmark_generator('tiny', TINY, torch.device('cpu'), 'fp32', train_batch=2,
                              sample_batch=3, warmup=0, iters=2, cfg_scale=2.0)
    assert len(run.train_seconds) == 2 and len(run.sample_seconds) == 1
    assert run.nfe == 2 * 3  # Euler-3, doubled by guidance
    from vitok_mm.models.builder import build_model
    params = sum(p.numel() for p in build_model(TINY).generator.parameters())
    assert run.params == params
    assert run.state_bytes == params * (4 + 4 + ADAMW_STATE_BYTES)
    assert run.train_peak_bytes >= run.state_bytes
    with pytest.raises(ValueError, match='iters >= 1'):
        benchmark_generator('tiny', TINY, torch.device('cpu'), 'fp32', 2, 2, 0, 0)


def test_cli_prints_a_row_per_size_and_backend(tmp_path):
    out = tmp_path / 'dit.json'
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/analysis_tools/benchmark_dit.py'),
         str(REPO / 'configs/quickstart/dit_tiny_64p.py'), '--device', 'cpu',
         '--threads', '1', '--warmup', '0', '--iters', '1', '--train-batch', '2',
         '--sample-batch', '2', '--solver', 'heun', '--steps', '2', '--backend', 'sdpa', 'math',
         '--peak-tflops', '1', '--json', str(out)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert 'MFU against  1 TFLOPS (given)' in lines
    assert any(line.startswith('config sdpa ') for line in lines)
    assert any(line.startswith('config math ') for line in lines)
    saved = json.loads(out.read_text())
    assert set(saved['models']) == {'config sdpa', 'config math'}
    record = saved['models']['config sdpa']
    heun = build_solver('heun', 2).num_function_evaluations
    assert record['nfe'] == 2 * heun  # the default --cfg-scale 1.5 doubles it
    assert record['mfu'] == pytest.approx(
        3 * record['gmacs_forward'] * record['train_samples_per_second'] / 500.0)
    assert record['params'] == saved['models']['config math']['params'] > 1e6


def test_cli_refuses_a_tokenizer_config():
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/analysis_tools/benchmark_dit.py'),
         str(REPO / 'configs/quickstart/vitok_tiny_64p.py'), '--device', 'cpu'],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert 'is not a generator config' in result.stderr
    assert 'tools/analysis_tools/benchmark.py' in result.stderr
