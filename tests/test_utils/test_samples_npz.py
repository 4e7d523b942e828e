"""samples.npz: written atomically, read back whole or in batches, its layout checked."""
import os

import numpy as np
import pytest

from vitok_mm.utils.samples_npz import (
    check_samples_npz,
    iter_sample_batches,
    read_samples_npz,
    write_samples_npz,
)


def _images(n=7, h=5, w=6):
    return np.random.RandomState(0).randint(0, 256, (n, h, w, 3)).astype(np.uint8)


def test_round_trip_whole_and_in_batches(tmp_path):
    path = str(tmp_path / 'out' / 'samples.npz')
    images, labels = _images(), np.arange(7, dtype=np.int32) % 3
    write_samples_npz(path, images, labels)
    assert os.listdir(tmp_path / 'out') == ['samples.npz']  # no temporary file left
    with np.load(path) as arrays:  # what ADM's evaluator reads
        assert sorted(arrays.files) == ['arr_0', 'arr_1']
        assert arrays['arr_1'].dtype == np.int64
    got_images, got_labels = read_samples_npz(path)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    batches = list(iter_sample_batches(path, 3))
    assert [len(b) for b in batches] == [3, 3, 1] and batches[0].flags.writeable
    np.testing.assert_array_equal(np.concatenate(batches), images)
    assert check_samples_npz(path) == (7, 5, 6)

    unlabeled = str(tmp_path / 'unlabeled.npz')
    write_samples_npz(unlabeled, images)
    assert read_samples_npz(unlabeled)[1] is None


@pytest.mark.parametrize('images, labels, message', [
    (_images().astype(np.float32), None, r'images are float32 \(7, 5, 6, 3\)'),
    (_images()[..., :1], None, r'images are uint8 \(7, 5, 6, 1\)'),
    (_images(), np.arange(6), r'labels are int64 \(6,\) for 7 images'),
    (_images(), np.zeros(7, np.float32), r'labels are float32'),
])
def test_write_rejects_other_layouts(tmp_path, images, labels, message):
    with pytest.raises(ValueError, match=message + '.*expected arr_0: uint8 \\(N, H, W, 3\\)'):
        write_samples_npz(str(tmp_path / 'samples.npz'), images, labels)
    assert not os.listdir(tmp_path)


def test_read_names_the_file_and_the_layout(tmp_path):
    cases = {'chw.npz': dict(arr_0=_images().transpose(0, 3, 1, 2)),
             'float.npz': dict(arr_0=_images().astype(np.float64)),
             'labels.npz': dict(arr_0=_images(), arr_1=np.arange(3)),
             'stats.npz': dict(mu=np.zeros(3), sigma=np.eye(3))}
    for name, arrays in cases.items():
        np.savez(tmp_path / name, **arrays)
        with pytest.raises(ValueError, match=f'{name}.*expected arr_0: uint8'):
            read_samples_npz(str(tmp_path / name))
    (tmp_path / 'text.npz').write_text('not a zip')
    with pytest.raises(ValueError, match='text.npz is not an .npz archive'):
        read_samples_npz(str(tmp_path / 'text.npz'))
    with pytest.raises(FileNotFoundError, match='missing.npz does not exist'):
        read_samples_npz(str(tmp_path / 'missing.npz'))
