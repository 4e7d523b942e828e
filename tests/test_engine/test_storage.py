"""A disk that fills during a checkpoint save: one line naming the file, its size and the
free space, no partial file left, and a --resume after making room equal to a run that
never failed. On a real small tmpfs where the machine allows mounting one (root), and
with an injected ENOSPC from the writer everywhere."""
import errno
import gc
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from tests.test_engine import test_training
from tests.test_engine.test_training import load_state, run_train, write_config
from vitok_mm.utils.storage import StorageError, staged_file
from vitok_mm.workflows import build_runner, load_config

samples = test_training.samples  # the bundled photos, laid out once per module


def same_weights(a: str, b: str) -> bool:
    x, y = load_state(a)['state_dict'], load_state(b)['state_dict']
    return x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)


def mount_tmpfs(folder: Path, size: int) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which('mount'):
        return False
    done = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs', str(folder)],
                          capture_output=True)
    return done.returncode == 0


def test_a_full_tmpfs_during_a_save_is_one_line_and_resume_is_exact(tmp_path, samples):
    config = write_config(tmp_path, samples, max_iters=6)
    straight = tmp_path / 'straight'
    assert run_train(config, str(straight)).returncode == 0
    checkpoint = (straight / 'iter_3.pth').stat().st_size
    # Room for the run's logs and iter_3.pth, not for iter_6.pth as well.
    disk = tmp_path / 'disk'
    if not mount_tmpfs(disk, checkpoint + checkpoint // 2 + 256 * 1024):
        pytest.skip('cannot mount a tmpfs here (needs root); the injected test covers it')
    try:
        work = disk / 'run'
        failed = run_train(config, str(work))
        assert failed.returncode == 1, failed.stderr[-3000:]
        last = failed.stderr.strip().splitlines()[-1]
        assert last.startswith(f'error: could not write {work / "iter_6.pth"}: no space left '
                               'on the device; it needs about '), failed.stderr[-3000:]
        assert 'is free on that filesystem. Free space there or write elsewhere, then rerun ' \
               'with --resume: the earlier checkpoints are intact' in last
        assert not [p for p in os.listdir(work) if 'partial' in p]
        assert (work / 'iter_3.pth').is_file() and not (work / 'iter_6.pth').exists()
        subprocess.run(['mount', '-o', f'remount,size={8 * checkpoint + 2 ** 20}', str(disk)],
                       check=True)
        resumed = run_train(config, str(work), '--resume')
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert same_weights(str(work / 'iter_6.pth'), str(straight / 'iter_6.pth'))
    finally:
        subprocess.run(['umount', '-l', str(disk)], capture_output=True)


def test_an_injected_enospc_leaves_nothing_and_resume_is_exact(tmp_path, samples,
                                                               monkeypatch):
    from mmengine.runner import runner as mmengine_runner
    config = write_config(tmp_path, samples, max_iters=6)
    monkeypatch.syspath_prepend(str(tmp_path))  # the config's plugin, in this process
    straight = tmp_path / 'straight'
    assert run_train(config, str(straight)).returncode == 0
    save = mmengine_runner.save_checkpoint

    def full_disk(checkpoint, filename, *args, **kwargs):
        if 'iter_6' in str(filename):
            with open(filename, 'wb') as f:
                f.write(b'PK\x03\x04' + bytes(1000))  # a partial write, then the disk is full
            raise OSError(errno.ENOSPC, 'No space left on device')
        return save(checkpoint, filename, *args, **kwargs)
    monkeypatch.setattr(mmengine_runner, 'save_checkpoint', full_disk)
    work = tmp_path / 'run'
    runner = build_runner(load_config(config, work_dir=str(work)))
    with pytest.raises(StorageError) as error:
        runner.train()
    message = str(error.value)
    assert message.startswith(f'could not write {work / "iter_6.pth"}: no space left on the '
                              'device; it needs about ')
    size = (work / 'iter_3.pth').stat().st_size
    assert error.value.needed == size  # the previous checkpoint's size, the better guess
    assert not [p for p in os.listdir(work) if 'partial' in p]
    del runner, error  # the failed run ends here: its work dir's lock goes with it
    gc.collect()
    monkeypatch.setattr(mmengine_runner, 'save_checkpoint', save)
    resumed = run_train(config, str(work), '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert same_weights(str(work / 'iter_6.pth'), str(straight / 'iter_6.pth'))


@pytest.mark.parametrize('code, reason', [(errno.EDQUOT, 'disk quota exceeded'),
                                          (errno.EACCES, 'permission denied'),
                                          (errno.EIO, 'input/output error')])
def test_staged_files_fail_cleanly_with_the_reason(tmp_path, code, reason):
    target = tmp_path / 'table.csv'
    with pytest.raises(StorageError, match=rf'could not write {target}: {reason}; it needs '
                                           r'about 5 bytes'):
        with staged_file(str(target)) as partial:
            Path(partial).write_text('a,b\n1')
            raise OSError(code, os.strerror(code))
    assert os.listdir(tmp_path) == []
    with staged_file(str(target)) as partial:
        Path(partial).write_text('a,b\n')
    assert os.listdir(tmp_path) == ['table.csv']


def test_every_staged_writer_fails_cleanly_on_a_full_disk(tmp_path):
    """Encoded latents (safetensors), sample folders, samples.npz and latent-cache shards
    on a 64 KiB tmpfs: each 1 MB write is a StorageError naming its file, nothing left."""
    import numpy as np

    from vitok_mm.utils.safetensors_io import save_safetensors
    from vitok_mm.utils.samples_npz import write_samples_npz
    from vitok_mm.workflows.latents import _atomic_write
    from vitok_mm.workflows.sampling import write_sample
    disk = tmp_path / 'disk'
    if not mount_tmpfs(disk, 64 * 1024):
        pytest.skip('cannot mount a tmpfs here (needs root)')
    try:
        big = np.random.default_rng(0).integers(0, 255, (512, 512, 4), dtype=np.uint8)
        writers = {
            'latent.safetensors': lambda p: save_safetensors(
                {'z': torch.from_numpy(big.astype(np.float32))}, p),
            '000000.png': lambda p: write_sample(str(disk), 0, big[..., :3]),
            'samples.npz': lambda p: write_samples_npz(p, big[None, ..., :3]),
            'shard_00000.pth': lambda p: _atomic_write(p, lambda f: f.write(big.tobytes())),
        }
        for name, write in writers.items():
            with pytest.raises(StorageError, match=rf'could not write {disk / name}: no space '
                                                   'left on the device'):
                write(str(disk / name))
            assert os.listdir(disk) == [], name
    finally:
        subprocess.run(['umount', '-l', str(disk)], capture_output=True)


def test_a_full_disk_on_rank_0_stops_both_gloo_processes_in_one_line(tmp_path, samples):
    """DDP on 2 CPU processes; rank 0's write of iter_6 fails: both processes stop at that
    save (the failure is reduced over ranks, as a NaN is), the partial file is gone, and a
    2-process --resume finishes the run."""
    config = write_config(tmp_path, samples, max_iters=6, extra="""
        custom_hooks = [dict(type='FullDiskAtSave', name='iter_6', rank=0)]
    """)
    work = tmp_path / 'run'
    failed = run_train(config, str(work), nproc=2)
    assert failed.returncode != 0
    log = failed.stdout + failed.stderr
    assert f'error: could not write {work / "iter_6.pth"}: no space left on the device' in log
    assert (f'error: another process could not write {work / "iter_6.pth"} (its error names '
            'the cause); every process stopped.' in log), log[-3000:]
    assert not [p for p in os.listdir(work) if 'partial' in p]
    resumed = run_train(write_config(tmp_path, samples, max_iters=6), str(work), '--resume',
                        nproc=2)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert load_state(str(work / 'iter_6.pth'))['meta']['iter'] == 6
