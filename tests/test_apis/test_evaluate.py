"""`vitok-mm evaluate`: two tokenizers (a saved micro tokenizer, patch 4, and the SD-VAE
layout with random weights, patch 8) on one folder of photo crops whose sizes are no
multiple of either patch. Its PSNR/SSIM equal score_folders on reconstructions written
apart by `vitok-mm reconstruct`; the table, CSV, JSON and crops are written; wrong input
is one line."""
import csv
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vitok_mm.apis import Tokenizer
from vitok_mm.cli import main
from vitok_mm.workflows.evaluate import evaluate_tokenizers, make_view
from vitok_mm.workflows.samples import bundled_photos
from vitok_mm.workflows.scoring import score_folders

pytest.importorskip('diffusers')
REPO = Path(__file__).resolve().parents[2]
SD_RANDOM = str(REPO / 'configs/baselines/sd-vae_random.py')


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('evaluate')
    data = root / 'photos'
    data.mkdir()
    for name, path in sorted(bundled_photos().items())[:5]:
        image = Image.open(path).convert('RGB')
        image.resize((44, 36), Image.BICUBIC).save(data / f'{name}.png')
    Tokenizer.from_pretrained(str(REPO / 'tests/data/micro_vitok.py'),
                              str(REPO / 'tests/data/micro_vitok_iter_2.pth')).save_pretrained(
        str(root / 'micro'))
    return root, data


def test_evaluate_equals_score_folders_on_separately_written_reconstructions(setup, capsys):
    root, data = setup
    models = [str(root / 'micro'), SD_RANDOM]
    assert main(['evaluate', *models, '--data', str(data), '--out', str(root / 'table'),
                 '--grid']) == 0
    printed = capsys.readouterr().out
    assert '| tokenizer | PSNR | SSIM | LPIPS | rFID |' in printed
    results = json.loads((root / 'table' / 'results.json').read_text())
    rows = {r['tokenizer']: r for r in results['rows']}
    for i, model in enumerate(models):
        out = root / f'recon{i}'
        assert main(['reconstruct', model, str(data), '--out', str(out), '--no-progress']) == 0
        expected = score_folders(str(data), str(out))
        # The CLI reconstructs file by file, evaluate in one batch: the convolutions'
        # float sums may differ in the last bits and move a few pixels to the next level.
        assert rows[model]['psnr'] == pytest.approx(expected['psnr'], abs=1e-3)
        assert rows[model]['ssim'] == pytest.approx(expected['ssim'], abs=1e-4)
        assert rows[model]['num_images'] == 5
    micro, sd = rows[models[0]], rows[models[1]]
    # 36 x 44 padded to the patch: 9 x 11 tokens of patch 4; 5 x 6 of patch 8 (4 channels).
    assert micro['tokens'] == 99 and sd['tokens'] == 30 and sd['E'] == 120
    assert micro['encode_images_per_s'] > 0 and sd['peak_mib'] >= 0
    assert 'rFID/rIS: 5 images, fewer than the 500' in ' '.join(results['notes'])
    with open(root / 'table' / 'table.csv') as f:
        assert [r['tokenizer'] for r in csv.DictReader(f)] == models
    crops = np.asarray(Image.open(root / 'table' / 'crops.png'))
    assert crops.shape == (5 * 36 * 3, 3 * 36 * 3, 3)  # an image per row, 3 columns, 3x


def test_a_dataset_config_gives_its_pipelines_views(setup, tmp_path):
    """--data CONFIG: the dataset of its test_dataloader, views made by its pipeline (here
    a 32x32 centre crop), scored as the same crops in a folder are."""
    root, data = setup
    config = tmp_path / 'crops.py'
    config.write_text(textwrap.dedent(f'''
        test_dataloader = dict(dataset=dict(
            type='ImageDataset', data_root='{data}', test_mode=True,
            pipeline=[dict(type='LoadImage'), dict(type='CenterCrop', crop_size=32),
                      dict(type='PackInputs')]))
    '''))
    crops = tmp_path / 'crops'
    crops.mkdir()
    for path in sorted(data.iterdir())[:3]:
        array = np.asarray(Image.open(path))
        top, left = (36 - 32) // 2, (44 - 32) // 2
        Image.fromarray(array[top:top + 32, left:left + 32]).save(crops / path.name)
    model = str(root / 'micro')
    by_config = evaluate_tokenizers([model], str(config), str(tmp_path / 'a'), limit=3,
                                    log=lambda line: None)
    by_folder = evaluate_tokenizers([model], str(crops), str(tmp_path / 'b'),
                                    log=lambda line: None)
    assert by_config.rows[0]['num_images'] == 3
    assert by_config.rows[0]['psnr'] == by_folder.rows[0]['psnr']
    assert by_config.rows[0]['tokens'] == 64  # 32 x 32 at patch 4


def test_views_follow_the_protocol():
    import torch
    image = torch.randint(0, 256, (3, 30, 50), dtype=torch.uint8)
    assert make_view(image, 16, None, 8).shape == (3, 16, 16)
    assert make_view(image, None, 6, 8).shape == (3, 8, 24)  # 1 x 3 tokens of patch 8 (<= 6)
    assert torch.equal(make_view(image, None, None, 8), image)


@pytest.mark.parametrize('args, message', [
    (['--data', 'nowhere'], 'error: --data nowhere is neither a folder of images'),
    (['--data', '.', '--size', '0'], 'must be a positive integer'),
])
def test_wrong_input_is_one_line(setup, tmp_path, args, message):
    import subprocess
    import sys
    root, _ = setup
    tool = str(Path(sys.executable).parent / 'vitok-mm')
    done = subprocess.run([tool, 'evaluate', str(root / 'micro'), '--out', str(tmp_path),
                           *args], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert message in done.stderr.strip().splitlines()[-1], done.stderr
