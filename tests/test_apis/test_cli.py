"""`vitok-mm reconstruct` on a temporary folder with a corrupt file among real photos: the
others are processed (same relative names, PSNR/SSIM, JSON summary), the bad file is
named with its reason, and the exit code is non-zero."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from tests.test_apis.test_inference import MICRO_CHECKPOINT, MICRO_CONFIG
from vitok_mm.apis import Tokenizer
from vitok_mm.cli import main
from vitok_mm.workflows.samples import build_sample_folders


def test_reconstruct_a_folder_with_a_corrupt_file(tmp_path, capsys):
    build_sample_folders(str(tmp_path / 'samples'))
    folder = tmp_path / 'in'
    (folder / 'nested').mkdir(parents=True)
    photos = sorted((tmp_path / 'samples' / 'val').iterdir())[:2]
    small = np.asarray(Image.open(photos[0]).convert('RGB'))[:37, :29]
    Image.fromarray(small).save(folder / 'a.png')
    Image.fromarray(small[:20, :18]).save(folder / 'nested' / 'b.jpg', quality=95)
    (folder / 'broken.png').write_bytes(b'\x89PNG not really')
    out = tmp_path / 'out'
    code = main(['reconstruct', str(MICRO_CONFIG), str(MICRO_CHECKPOINT), str(folder),
                 str(tmp_path / 'notes.txt'), '--out', str(out), '--compare'])
    assert code == 1
    err = capsys.readouterr().err
    assert f'failed: {folder / "broken.png"}: ' in err
    assert f'failed: {tmp_path / "notes.txt"}: does not exist' in err
    assert 'error: 2 of 4 input(s) failed' in err
    tok = Tokenizer.from_pretrained(str(MICRO_CONFIG), str(MICRO_CHECKPOINT))
    written = np.asarray(Image.open(out / 'a.png'))
    assert written.shape == (37, 29, 3)
    assert np.array_equal(written, tok.reconstruct(small))
    assert (out / 'nested' / 'b.png').is_file() and (out / 'a.compare.png').is_file()
    assert Image.open(out / 'a.compare.png').size == (2 * 29, 37)
    summary = json.loads((out / 'summary.json').read_text())
    assert set(summary['files']) == {str(folder / 'a.png'), str(folder / 'nested' / 'b.jpg')}
    a = summary['files'][str(folder / 'a.png')]
    mse = np.mean((written.astype(float) - small.astype(float)) ** 2)
    assert abs(a['psnr'] - 10 * np.log10(255 ** 2 / mse)) < 1e-6  # independent PSNR
    assert 0 < a['ssim'] < 1
    assert summary['mean']['psnr'] == np.mean([s['psnr'] for s in summary['files'].values()])
    assert set(summary['failed']) == {str(folder / 'broken.png'), str(tmp_path / 'notes.txt')}


def test_console_script_lists_the_model_index():
    script = Path(sys.executable).parent / 'vitok-mm'
    result = subprocess.run([str(script), 'list', 'tiny'], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['vitok-dit-tiny-64p', 'vitok-tiny-64p',
                                     'vitok-tiny-64p-stage2', 'vitok-tiny-video']
    bad = subprocess.run([str(script), 'reconstruct', 'vitok-nope', 'x.png', '--out', 'o'],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: unknown model name 'vitok-nope'")
