"""tools/analysis_tools/eval_pairs.py on two folders."""
import importlib.util
import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from vitok_mm.evaluation.functional import psnr, ssim

REPO = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location(
        'eval_pairs', REPO / 'tools/analysis_tools/eval_pairs.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def test_scores_equal_the_functional_metrics(folders, tmp_path, photo_views, degraded,
                                             inception_file, monkeypatch, capsys):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))  # no VGG: LPIPS skipped
    monkeypatch.setattr(torch.hub, '_hub_dir', None)
    gt, recon = folders
    out = tmp_path / 'scores.json'
    assert _tool().main([str(gt), str(recon), '--inception-weights', inception_file,
                         '--out', str(out), '--batch-size', '7']) == 0
    results = json.loads(out.read_text())
    assert set(results) >= {'psnr', 'ssim', 'lpips', 'rfid', 'ris', 'num_images'}
    assert results['num_images'] == len(photo_views)
    pred, target = degraded.double() / 255, photo_views.double() / 255
    assert results['psnr'] == pytest.approx(psnr(pred, target).mean().item(), abs=1e-3)
    assert results['ssim'] == pytest.approx(ssim(pred, target).mean().item(), abs=1e-4)
    assert results['rfid'] > 1 and results['ris'] > 1
    assert results['lpips'] is None and 'vgg16-397923af.pth' in results['skipped']['lpips']
    captured = capsys.readouterr()
    assert 'lpips: skipped' in captured.err and 'rfid' in captured.out


def test_unpaired_resized_and_unreadable_files_are_listed(folders, capsys):
    gt, recon = folders
    tool = _tool()
    (recon / '000.png').unlink()
    (recon / 'extra.png').write_bytes((gt / '002.png').read_bytes())
    assert tool.main([str(gt), str(recon)]) == 1
    err = capsys.readouterr().err
    assert "1 originals have no reconstruction: ['000']" in err
    assert "1 reconstructions have no original: ['extra']" in err

    (recon / 'extra.png').unlink()
    Image.new('RGB', (32, 32)).save(recon / '000.png')
    (recon / '002.png').write_bytes(b'broken')
    assert tool.main([str(gt), str(recon)]) == 1
    err = capsys.readouterr().err
    assert '2 problem(s)' in err and '000.png is (32, 32) but' in err
    assert f'cannot decode {recon / "002.png"}' in err
