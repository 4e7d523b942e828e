"""tools/test.py: several test sets, one table, JSON and CSV, missing data or weights."""
import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from vitok_mm.workflows.samples import build_sample_folders

REPO = Path(__file__).resolve().parents[2]


def test_two_sets_one_table_and_a_missing_set(tmp_path):
    samples = tmp_path / 'samples'
    build_sample_folders(str(samples))
    config = tmp_path / 'cfg.py'
    config.write_text(textwrap.dedent(f"""
        _base_ = ['{REPO}/configs/quickstart/vitok_tiny_64p.py']
        model = dict(encoder=dict(width=32, depth=1, num_heads=1),
                     decoder=dict(width=32, depth=1, num_heads=1))
        test_dataloader = dict(dataset=dict(data_root='{samples}'))
        train_dataloader = dict(dataset=dict(data_root='{samples}'))
        val_dataloader = dict(dataset=dict(data_root='{samples}'))
        test_evaluator = [dict(type='ReconstructionMetric'), dict(type='FIDMetric')]
        test_sets = dict(
            held_out=dict(),
            training_photos=dict(dataset=dict(type='ImageDataset', data_root='{samples}',
                                              data_prefix='train',
                                              pipeline={{{{_base_.test_pipeline}}}},
                                              test_mode=True)),
            coco_val2017=dict(dataset=dict(type='COCOImages', data_root='{tmp_path}/nococo',
                                           pipeline={{{{_base_.test_pipeline}}}},
                                           test_mode=True)),
        )
    """))
    train = subprocess.run(
        [sys.executable, str(REPO / 'tools/train.py'), str(config), '--work-dir',
         str(tmp_path / 'run'), '--cfg-options', 'train_cfg.max_iters=2'],
        capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert train.returncode == 0, train.stderr[-2000:]
    env_home = dict(TORCH_HOME=str(tmp_path / 'torch_home'))
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/test.py'), str(config),
         str(tmp_path / 'run' / 'iter_2.pth'), '--work-dir', str(tmp_path / 'test')],
        capture_output=True, text=True, timeout=300, cwd=str(tmp_path),
        env={**__import__('os').environ, **env_home})
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert 'held_out' in out and 'training_photos' in out
    assert 'FIDMetric skipped' in out and 'weights-inception-2015-12-05-6726825d.pth' in out
    assert "coco_val2017: skipped: COCO val2017: image folder" in out
    data = json.loads((tmp_path / 'test' / 'test_results.json').read_text())
    assert set(data['sets']) == {'held_out', 'training_photos'}
    assert data['sets']['held_out']['num_images'] == 4
    assert data['sets']['training_photos']['num_images'] == 16
    rows = list(csv.DictReader((tmp_path / 'test' / 'test_results.csv').open()))
    assert [r['set'] for r in rows] == ['held_out', 'training_photos']
    assert float(rows[0]['psnr']) == data['sets']['held_out']['psnr']
    assert rows[0]['rfid'] == ''
