"""tools/analysis_tools/benchmark_api.py on the micro tokenizer: one record per (size,
tiling) with the tile count the tiling makes, rates that are batch over median time, and
the refusal of a video tokenizer."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.test_apis.test_inference import MICRO_CHECKPOINT, MICRO_CONFIG
from vitok_mm.analysis import tokenizer_api
from vitok_mm.apis import Tokenizer

REPO = Path(__file__).resolve().parents[2]


def test_records_rates_from_the_median_time(monkeypatch):
    times = iter([0.5, 2.0, 4.0, 1.0, 1.0, 8.0] * 2)  # encode, decode alternating
    monkeypatch.setattr(tokenizer_api, '_seconds', lambda run, device: (run(), next(times))[1])
    base = Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT)

    def make(tile):
        return base if tile is None else Tokenizer(base.model, tile_size=tile, tile_overlap=4)

    records = tokenizer_api.benchmark_tokenizer_api(make, [40], [None, 16], batch_size=2,
                                                    device=torch.device('cpu'), warmup=0,
                                                    iters=3)
    # Tiles start at 0, 12 and 24 along each axis.
    assert [(r.tiling, r.tiles) for r in records] == [('untiled', 1), ('16/4', 9)]
    # encode times 0.5, 4.0, 1.0 -> median 1.0; decode 2.0, 1.0, 8.0 -> median 2.0
    assert records[0].encode_images_per_s == 2.0 and records[0].decode_images_per_s == 1.0
    assert records[0].encode_peak_mib >= 0


def test_cli_writes_a_json_per_row(tmp_path):
    out = tmp_path / 'api.json'
    result = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_api.py', MICRO_CONFIG,
         MICRO_CHECKPOINT, '--sizes', '16', '32', '--tile-size', '16', '--batch-size', '2',
         '--iters', '1', '--warmup', '0', '--json', str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'encode img/s' in result.stdout
    record = json.loads(out.read_text())
    assert [(r['size'], r['tiling'], r['tiles']) for r in record['records']] == [
        (16, 'untiled', 1), (32, 'untiled', 1), (32, '16/4', 9)]  # a 16 px tile at 16p: untiled
    assert all(r['encode_images_per_s'] > 0 for r in record['records'])


@pytest.mark.parametrize('config', ['configs/quickstart/vitok_tiny_video.py'])
def test_video_tokenizers_are_refused(config):
    result = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_api.py', config, '--sizes', '16'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip() == (f'error: {config} is a video tokenizer; this benchmark '
                                     'measures images.')
