"""Every tool answers a wrong input the way a new user needs: one line on stderr that
names the file or value and the fix, exit code 1, and the traceback only with --debug."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mmengine.config import Config

from vitok_mm.workflows.samples import build_sample_folders

REPO = Path(__file__).resolve().parents[2]
MICRO_CONFIG = REPO / 'tests/data/micro_vitok.py'
MICRO_CHECKPOINT = REPO / 'tests/data/micro_vitok_iter_2.pth'
TINY = REPO / 'configs/quickstart/vitok_tiny_64p.py'


def run(tool: str, *args, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, str(REPO / 'tools' / tool), *map(str, args)],
                          capture_output=True, text=True, timeout=300, env=env,
                          cwd=str(cwd or REPO))


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr[-3000:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith('error: ')]
    assert len(errors) == 1 and 'Traceback' not in result.stderr, result.stderr[-3000:]
    return errors[0]


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('user_errors')
    (root / 'random.pth').write_bytes(os.urandom(4096))
    whole = MICRO_CHECKPOINT.read_bytes()
    (root / 'cut.pth').write_bytes(whole[:len(whole) // 2])  # a save killed half way
    samples = root / 'samples'
    build_sample_folders(str(samples))
    image = next(iter(sorted((samples / 'val').iterdir())))
    return dict(root=root, samples=samples, image=image)


@pytest.mark.parametrize('name', ['random.pth', 'cut.pth'])
def test_a_file_that_is_no_checkpoint(files, name):
    path = files['root'] / name
    line = one_line_error(run('reconstruct.py', MICRO_CONFIG, files['image'],
                              '--checkpoint', path, '--out', files['root'] / 'r.png'))
    assert f'{path} is not a complete PyTorch checkpoint' in line
    assert 'weights_only' not in line
    line = one_line_error(run('test.py', MICRO_CONFIG, path))
    assert line.startswith(f'error: {path} is not a complete checkpoint')


def test_a_checkpoint_of_another_model_is_refused_not_used(files):
    line = one_line_error(run('reconstruct.py', TINY, files['image'], '--checkpoint',
                              MICRO_CHECKPOINT, '--out', files['root'] / 'r.png'))
    assert f'{MICRO_CHECKPOINT} does not fit ViTok: missing keys' in line
    assert 'Is it a checkpoint of this config?' in line
    assert not (files['root'] / 'r.png').exists()


def test_a_config_that_does_not_exist(files, tmp_path):
    missing = tmp_path / 'nope.py'
    line = one_line_error(run('train.py', missing))
    assert line == (f'error: config {missing} does not exist; give the path of a config file '
                    '(the configs live under configs/, e.g. configs/vitok/s-b_16_256p.py).')


def test_a_size_smaller_than_the_patch(files):
    line = one_line_error(run('reconstruct.py', MICRO_CONFIG, files['image'], '--size', '2',
                              '--checkpoint', MICRO_CHECKPOINT,
                              '--out', files['root'] / 'r.png'))
    assert 'is not divisible by the patch_size p=4' in line
    assert 'resize or crop the input to a multiple of 4' in line


def test_a_corrupt_image_in_a_test_set(files, tmp_path):
    data = tmp_path / 'samples'
    build_sample_folders(str(data))
    bad = data / 'val' / 'zz_broken.jpg'
    bad.write_bytes(b'\xff\xd8 not really a jpeg')
    model = Config.fromfile(str(MICRO_CONFIG)).model.to_dict()
    config = tmp_path / 'micro_test.py'
    config.write_text(textwrap.dedent(f'''
        _base_ = ['{TINY}']
        model = dict(_delete_=True, **{model!r})
        test_pipeline = [dict(type='LoadImage'), dict(type='ResizeShortSide', size=16),
                         dict(type='CenterCrop', crop_size=16), dict(type='PackInputs')]
        test_dataloader = dict(dataset=dict(data_root='{data}', pipeline=test_pipeline))
        val_dataloader = test_dataloader
    '''))
    result = run('test.py', config, MICRO_CHECKPOINT, '--work-dir', tmp_path / 'work')
    line = one_line_error(result)
    assert str(bad) in line
    debug = run('test.py', config, MICRO_CHECKPOINT, '--work-dir', tmp_path / 'work',
                '--debug')
    assert debug.returncode != 0 and 'Traceback' in debug.stderr


def test_debug_shows_the_traceback(files, tmp_path):
    result = run('train.py', tmp_path / 'nope.py', '--debug')
    assert result.returncode == 1
    assert 'Traceback' in result.stderr and 'FileNotFoundError' in result.stderr
