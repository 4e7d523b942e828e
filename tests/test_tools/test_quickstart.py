"""The quick start end to end, shrunk to a few iterations of a tiny model."""
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def test_quickstart_writes_summary_reconstructions_and_checkpoints(tmp_path):
    work, data = tmp_path / 'work', tmp_path / 'data'
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/quickstart.py'), '--work-dir', str(work),
         '--data', str(data), '--cfg-options', 'train_cfg.max_iters=4',
         'model.encoder.width=32', 'model.encoder.num_heads=1', 'model.encoder.depth=1',
         'model.decoder.width=32', 'model.decoder.num_heads=1', 'model.decoder.depth=1',
         'default_hooks.checkpoint.interval=2'],
        cwd=str(REPO), capture_output=True, text=True, timeout=300,
        env={**os.environ, 'TORCH_HOME': str(tmp_path / 'no_weights')})
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((work / 'summary.json').read_text())['stage1']
    assert summary['iters'] == 4 and summary['seconds'] > 0
    assert 5 < summary['psnr'] < 60 and 0 < summary['ssim'] < 1
    assert summary['video_frames']['count'] == 24
    assert 'vgg16-397923af.pth' in summary['skipped_metrics']['LPIPSMetric']
    assert 'lpips' not in summary and 'FIDMetric' in summary['skipped_metrics']
    assert sorted(summary['held_out']) == ['chelsea.png', 'china.jpg', 'grace_hopper.jpg',
                                           'rocket.jpg']
    assert {p.name for p in (data / 'val').iterdir()} == set(summary['held_out'])
    stage1 = work / 'stage1'
    assert (stage1 / 'last_checkpoint').read_text().strip().endswith('iter_4.pth')
    grid = Image.open(work / 'reconstructions.png')
    assert grid.size == (7 * 64 * 3, 2 * 64 * 3)  # 4 photos + 3 clips, originals over recons
    out = result.stdout
    assert 'held-out photos' in out and 'summary:' in out and 'reconstructions:' in out
    assert '4/4 iters' in out  # the progress bar's last line


def test_reconstruct_tool_writes_a_grid_and_names_unreadable_files(tmp_path):
    from vitok_mm.datasets import bundled_photos
    photo = bundled_photos(['coffee'])['coffee']
    out = tmp_path / 'grid.png'
    command = [sys.executable, str(REPO / 'tools/reconstruct.py'),
               str(REPO / 'configs/quickstart/vitok_tiny_64p.py'), photo, '--out', str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'E = 2048' in result.stdout and 'coffee.png: PSNR' in result.stdout
    assert Image.open(out).size == (64, 128)
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'not an image')
    result = subprocess.run(command[:3] + [str(bad)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and f'cannot decode {bad}' in result.stderr
