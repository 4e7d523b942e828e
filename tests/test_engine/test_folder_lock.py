"""One writer per folder: a second training run (or latent extraction) on a folder a live
process holds exits in one line naming it; the lock dies with its process (kill -9), so
a requeue takes it at once; the ranks of one distributed run share it; and
VITOK_MM_NO_LOCK=1 is the escape the error states."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.test_apis.test_generation import CHECKPOINT, TOKENIZER
from tests.test_engine import test_training
from tests.test_engine.test_training import REPO, TRAIN, run_train, write_config
from vitok_mm.utils.folder_lock import LOCK_FILE, FolderInUseError, lock_folder, unlock_folder
from vitok_mm.workflows import extract_latents
from vitok_mm.workflows.samples import build_sample_folders

samples = test_training.samples


def wait_for_holder(folder: Path, timeout: float = 120) -> dict:
    path = folder / LOCK_FILE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return json.loads(path.read_text())
        time.sleep(0.2)
    raise AssertionError(f'{path} was not written within {timeout} s')


def hold(folder: Path) -> subprocess.Popen:
    """Another process that takes the folder's lock and sleeps."""
    code = (f'from vitok_mm.utils.folder_lock import lock_folder; '
            f'lock_folder({str(folder)!r}, "test holder"); import time; time.sleep(120)')
    return subprocess.Popen([sys.executable, '-c', code], env=dict(os.environ,
                                                                  PYTHONPATH=str(REPO)))


def test_a_second_training_run_is_refused_naming_the_first_and_kill_9_frees_it(
        tmp_path, samples):
    long_dir, short_dir = tmp_path / 'long', tmp_path / 'short'
    long_dir.mkdir()
    short_dir.mkdir()
    work = tmp_path / 'run'
    first = subprocess.Popen(
        [sys.executable, TRAIN, write_config(long_dir, samples, max_iters=100000),
         '--work-dir', str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(long_dir), str(REPO)])))
    try:
        holder = wait_for_holder(work)
        assert holder['pid'] == first.pid and holder['host'] == socket.gethostname()
        short = write_config(short_dir, samples, max_iters=2)
        second = run_train(short, str(work))
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert lines[-1].startswith(f'error: {work} is in use by another training run: pid '
                                    f'{first.pid} on {socket.gethostname()} since '), \
            second.stderr[-2000:]
        assert 'train.py' in lines[-1] and 'VITOK_MM_NO_LOCK=1' in lines[-1]
        assert not (work / 'iter_2.pth').exists()  # the refused run wrote nothing
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    third = run_train(short, str(work))  # the kernel released the lock with the process
    assert third.returncode == 0, third.stderr[-3000:]
    assert (work / 'iter_2.pth').is_file()


def test_two_extractions_into_one_cache_folder(tmp_path):
    build_sample_folders(str(tmp_path / 'samples'))
    data = tmp_path / 'data.py'
    data.write_text(textwrap.dedent(f'''
        train_dataloader = dict(dataset=dict(
            type='ImageDataset', data_root='{tmp_path / "samples"}', data_prefix='val',
            pipeline=[dict(type='LoadImage'), dict(type='CenterCrop', crop_size=16),
                      dict(type='PackInputs')]))
    '''))
    out = tmp_path / 'latents'
    holder = hold(out)
    try:
        wait_for_holder(out)
        with pytest.raises(FolderInUseError, match=rf'{out} is in use by another test holder: '
                                                   rf'pid {holder.pid} on '):
            extract_latents(TOKENIZER, CHECKPOINT, str(data), str(out), progress=False)
    finally:
        holder.kill()
        holder.wait()
    summary = extract_latents(TOKENIZER, CHECKPOINT, str(data), str(out), progress=False)
    assert summary['count'] == 4


def test_the_escape_and_the_ranks_of_one_run(tmp_path, monkeypatch):
    folder = tmp_path / 'shared'
    holder = hold(folder)
    try:
        wait_for_holder(folder)
        with pytest.raises(FolderInUseError):
            lock_folder(str(folder))
        monkeypatch.setenv('VITOK_MM_NO_LOCK', '1')
        assert lock_folder(str(folder)) is None  # the user knows better
        monkeypatch.delenv('VITOK_MM_NO_LOCK')
        monkeypatch.setenv('RANK', '1')  # another process of the holder's run
        assert lock_folder(str(folder)) is None
    finally:
        holder.kill()
        holder.wait()
    monkeypatch.setenv('RANK', '0')
    assert lock_folder(str(folder)) == str(folder / LOCK_FILE)
    assert lock_folder(str(folder)) == str(folder / LOCK_FILE)  # again in this process
    unlock_folder(str(folder))
    unlock_folder(str(folder))
