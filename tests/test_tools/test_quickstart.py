"""The quick start end to end, shrunk to a few iterations of a tiny model."""
import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from PIL import Image

from vitok_mm.utils import load_checkpoint

REPO = Path(__file__).resolve().parents[2]


def load_state(path: str) -> dict:
    return load_checkpoint(path)


def test_quickstart_writes_summary_reconstructions_and_checkpoints(tmp_path):
    work, data = tmp_path / 'work', tmp_path / 'data'
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/quickstart.py'), '--work-dir', str(work),
         '--data', str(data), '--cfg-options', 'train_cfg.max_iters=4',
         'model.encoder.width=32', 'model.encoder.num_heads=1', 'model.encoder.depth=1',
         'model.decoder.width=32', 'model.decoder.num_heads=1', 'model.decoder.depth=1',
         'default_hooks.checkpoint.interval=2',
         '--stage2-options', 'model.adversarial_loss.generator_start=1',
         'model.adversarial_loss.warmup_iters=2', 'model.discriminator.base_channels=8',
         'model.discriminator.max_channels=16'],
        cwd=str(REPO), capture_output=True, text=True, timeout=300,
        env={**os.environ, 'TORCH_HOME': str(tmp_path / 'no_weights')})
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((work / 'summary.json').read_text())['stage1']
    assert summary['iters'] == 4 and summary['seconds'] > 0
    assert 5 < summary['psnr'] < 60 and 0 < summary['ssim'] < 1
    assert summary['video_frames']['count'] == 24
    # scored on the held-out clip; the other clips' frames are training images
    assert summary['video_frames']['clips'] == ['carphone_pristine']
    frames = sorted(p.name for p in (data / 'frames').glob('*.png'))
    assert frames and not any(name.startswith('carphone') for name in frames)
    assert 'vgg16-397923af.pth' in summary['skipped_metrics']['LPIPSMetric']
    assert 'lpips' not in summary and 'FIDMetric' in summary['skipped_metrics']
    assert sorted(summary['held_out']) == ['chelsea.png', 'china.jpg', 'grace_hopper.jpg',
                                           'rocket.jpg']
    assert {p.name for p in (data / 'val').iterdir()} == set(summary['held_out'])
    stage1 = work / 'stage1'
    assert (stage1 / 'last_checkpoint').read_text().strip().endswith('iter_4.pth')
    stage2 = json.loads((work / 'summary.json').read_text())['stage2']
    assert stage2['iters'] == 4 and stage2['held_out'] == summary['held_out']
    assert 5 < stage2['psnr'] < 60 and 0 < stage2['hf_energy_ratio']
    assert (work / 'stage2' / 'last_checkpoint').read_text().strip().endswith('iter_4.pth')
    # Stage 2 started from stage 1 and trained only the decoder (and its discriminator).
    first = load_state(str(stage1 / 'iter_4.pth'))['state_dict']
    second = load_state(str(work / 'stage2' / 'iter_4.pth'))['state_dict']
    assert set(second) - set(first) == {k for k in second if k.startswith('discriminator.')}
    for key, value in first.items():
        same = torch.equal(value, second[key])
        assert same == (not key.startswith('decoder.')), key
    grid = Image.open(work / 'reconstructions.png')
    # 4 photos + 3 frames; originals, stage-1 and stage-2 reconstructions, then the same
    # three rows zoomed into each image's flattest area
    assert grid.size == (7 * 64 * 3, 6 * 64 * 3)
    assert 'colour_shift_worst' in summary and 'blockiness' in summary
    assert sorted(summary['per_photo']) == sorted(summary['held_out'])
    assert len(summary['per_photo']['china.jpg']['colour_shift']) == 3
    out = result.stdout
    assert 'held-out photos' in out and 'summary:' in out and 'reconstructions:' in out
    assert '4/4 iters' in out  # the progress bar's last line
    assert 'stage2' in out and f'from {stage1 / "iter_4.pth"}' in out


def test_reconstruct_tool_writes_a_grid_and_names_unreadable_files(tmp_path):
    from vitok_mm.workflows.samples import bundled_photos
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
