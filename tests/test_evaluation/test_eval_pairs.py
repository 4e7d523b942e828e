"""Scoring two folders of images (vitok_mm.workflows.scoring and
tools/analysis_tools/eval_pairs.py)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from vitok_mm.evaluation.functional import psnr, ssim
from vitok_mm.workflows import SCORE_KEYS, load_pairs, pair_files, score_folders

REPO = Path(__file__).resolve().parents[2]


def _save(folder: Path, images, suffix='.png', nested=False):
    for i, img in enumerate(images):
        path = folder / (f'sub/{i:03d}{suffix}' if nested and i % 2 else f'{i:03d}{suffix}')
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(path)


@pytest.fixture
def folders(tmp_path, photo_views, degraded):
    gt, recon = tmp_path / 'gt', tmp_path / 'recon'
    _save(gt, photo_views, suffix='.png', nested=True)
    _save(recon, degraded, suffix='.png', nested=True)
    return gt, recon


@pytest.fixture
def no_hub_weights(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))  # no VGG, no Inception
    monkeypatch.setattr(torch.hub, '_hub_dir', None)


def test_scores_equal_the_functional_metrics(folders, photo_views, degraded, inception_file,
                                             no_hub_weights):
    gt, recon = folders
    calls = []
    results = score_folders(str(gt), str(recon), inception_weights=inception_file,
                            batch_size=7, progress=lambda *args: calls.append(args))
    assert set(results) == {*SCORE_KEYS, 'num_images', 'skipped'}
    assert results['num_images'] == len(photo_views)
    pred, target = degraded.double() / 255, photo_views.double() / 255
    assert results['psnr'] == pytest.approx(psnr(pred, target).mean().item(), abs=1e-3)
    assert results['ssim'] == pytest.approx(ssim(pred, target).mean().item(), abs=1e-4)
    assert results['rfid'] > 1 and results['ris'] > 1
    assert results['lpips'] is None and list(results['skipped']) == ['lpips']
    assert 'vgg16-397923af.pth not found' in results['skipped']['lpips']
    # Batches of at most 7 pairs; the last call reports all of them.
    done = [call[0] for call in calls]
    assert done == sorted(done) and done[-1] == len(photo_views)
    assert all(b - a <= 7 for a, b in zip([0] + done, done))
    assert all(call[1] == len(photo_views) and call[2] >= 0 for call in calls)


def test_without_weights_lpips_rfid_and_ris_are_skipped_with_the_reason(folders,
                                                                        no_hub_weights):
    results = score_folders(*map(str, folders))
    assert results['psnr'] > 10
    assert [results[k] for k in ('lpips', 'rfid', 'ris')] == [None, None, None]
    assert list(results['skipped']) == ['lpips', 'rfid', 'ris']
    assert 'weights-inception-2015-12-05-6726825d.pth not found' in results['skipped']['rfid']
    assert results['skipped']['rfid'] == results['skipped']['ris']
    with pytest.raises(ValueError, match='batch_size must be >= 1'):
        score_folders(*map(str, folders), batch_size=0)


def test_unpaired_resized_and_unreadable_files_are_listed(folders):
    gt, recon = folders
    pairs = pair_files(str(gt), str(recon))
    assert [Path(g).relative_to(gt).with_suffix('') for g, _ in pairs] == \
        [Path(r).relative_to(recon).with_suffix('') for _, r in pairs]
    (recon / '000.png').unlink()
    (recon / 'extra.png').write_bytes((gt / '002.png').read_bytes())
    with pytest.raises(ValueError) as error:
        pair_files(str(gt), str(recon))
    assert "1 originals have no reconstruction: ['000']" in str(error.value)
    assert "1 reconstructions have no original: ['extra']" in str(error.value)

    (recon / 'extra.png').unlink()
    Image.new('RGB', (32, 32)).save(recon / '000.png')
    (recon / '002.png').write_bytes(b'broken')
    with pytest.raises(ValueError) as error:
        load_pairs(pair_files(str(gt), str(recon)))
    message = str(error.value)
    assert '2 problem(s)' in message and '000.png is (32, 32) but' in message
    assert f'cannot decode {recon / "002.png"}' in message
    with pytest.raises(ValueError, match='is not a folder'):
        pair_files(str(gt / 'nope'), str(recon))


def test_eval_pairs_cli_prints_the_table_and_writes_json(folders, photo_views, tmp_path):
    gt, recon = folders
    out = tmp_path / 'scores.json'
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/analysis_tools/eval_pairs.py'), str(gt), str(recon),
         '--out', str(out), '--device', 'cpu'],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, 'TORCH_HOME': str(tmp_path / 'torch')})
    assert result.returncode == 0, result.stderr[-2000:]
    saved = json.loads(out.read_text())
    lines = result.stdout.splitlines()
    assert lines[:2] == ['metric  value  ', '------  -------']
    assert lines[2] == f'psnr    {saved["psnr"]:.4f}'
    assert lines[4:7] == ['lpips   skipped', 'rfid    skipped', 'ris     skipped']
    assert lines[7] == f'{len(photo_views)} image pairs'
    assert 'lpips: skipped: LPIPS VGG16 trunk' in result.stderr
    assert f'{len(photo_views)}/{len(photo_views)} pairs' in result.stderr
