"""tools/analysis_tools/benchmark.py end to end on a micro config (the measuring itself is
tested in tests/test_analysis)."""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_benchmark_cli_prints_environment_table_and_notes(tmp_path):
    out = tmp_path / 'bench.json'
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/analysis_tools/benchmark.py'),
         str(REPO / 'tests/data/micro_vitok.py'), '--device', 'cpu', '--threads', '1',
         '--warmup', '0', '--iters', '2', '--batch-size', '2', '--no-sd-vae',
         '--json', str(out)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[1] == 'input        2 x 3x16x16 (batch x sample)'
    assert lines[5] == 'threads      1'
    assert lines[6].startswith('GEMM peak    ') and 'torch.matmul' in lines[6]
    assert lines[7] == 'timing       median of 2 timed run(s) after 0 warmup run(s)'
    header = lines.index('model  params (M)  GMACs  s/batch  samples/s  GMAC/s  of peak  '
                         'peak mem (MiB)')
    assert lines[header + 2].startswith('ViTok  ')
    assert 'note  SD-VAE: skipped (--no-sd-vae)' in lines
    saved = json.loads(out.read_text())
    vitok = saved['models']['ViTok']
    assert len(vitok['seconds_all']) == 2 and vitok['seconds_per_batch'] > 0
    assert vitok['samples_per_second'] == 2 / vitok['seconds_per_batch']
    assert saved['sd_vae_skipped'] == 'skipped (--no-sd-vae)'
    assert saved['speed_ratio_vitok_over_sd_vae'] is None
    assert lines[-1] == f'wrote {out}'
