"""Feature-network files fetch themselves (from a loopback server through
``VITOK_MM_MIRROR`` or a config key), verified before they land in the torch hub cache:
a wrong digest, a failed content check or a cut connection leaves nothing behind; an
interrupted download resumes; ``VITOK_MM_OFFLINE=1`` gives the missing-file error."""
import dataclasses
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from vitok_mm.evaluation import split_available
from vitok_mm.evaluation.metrics.generation import known_reference
from vitok_mm.feature_networks import WEIGHT_FILES, build_inception, find_weight_file
from vitok_mm.models.losses import LPIPSLoss
from vitok_mm.utils.download import DownloadError, download

REPO = Path(__file__).resolve().parents[2]


def checkpoints(tmp_path: Path) -> Path:
    return tmp_path / 'torch' / 'hub' / 'checkpoints'


def listing(folder: Path):
    return sorted(p.name for p in folder.iterdir() if p.name != '.locks') if folder.is_dir() \
        else []


def renamed(network: str, data: bytes, monkeypatch) -> str:
    """Make ``WEIGHT_FILES[network]`` name a file of this test's random ``data``, the way
    the canonical names carry their digest (``<name>-<sha256 prefix>.pth``)."""
    prefix = hashlib.sha256(data).hexdigest()[:8]
    entry = WEIGHT_FILES[network]
    filename = f'{network}-test-{prefix}.pth'
    monkeypatch.setitem(WEIGHT_FILES, network, dataclasses.replace(
        entry, filename=filename, sha256_prefix=prefix,
        url=f'https://example.org/weights/{filename}'))
    return filename


@pytest.fixture(scope='module')
def vgg_bytes():
    import torchvision
    torch.manual_seed(0)
    features = torchvision.models.vgg16(weights=None).features
    buffer = io.BytesIO()
    torch.save({f'features.{k}': v for k, v in features.state_dict().items()}, buffer)
    return buffer.getvalue()


def test_lpips_fetches_its_trunk_through_the_mirror_once(loopback_hub, tmp_path, vgg_bytes,
                                                         monkeypatch):
    filename = renamed('vgg16', vgg_bytes, monkeypatch)
    loopback_hub.add_file(filename, vgg_bytes)
    pred, target = torch.rand(1, 3, 16, 16) * 2 - 1, torch.rand(1, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        value = LPIPSLoss()(pred, target)
    assert (checkpoints(tmp_path) / filename).read_bytes() == vgg_bytes
    assert loopback_hub.requests == [('GET', f'/files/{filename}')]
    with torch.no_grad():  # the same as the file given by path; no second download
        again = LPIPSLoss(vgg_weights=str(checkpoints(tmp_path) / filename))(pred, target)
        LPIPSLoss()(pred, target)
    assert value.item() == again.item() > 0 and loopback_hub.count('GET') == 1


def test_a_config_key_can_name_a_base_url(loopback_hub, tmp_path, vgg_bytes, monkeypatch):
    filename = renamed('vgg16', vgg_bytes, monkeypatch)
    loopback_hub.add_file(filename, vgg_bytes)
    monkeypatch.delenv('VITOK_MM_MIRROR')
    path = find_weight_file('vgg16', loopback_hub.url + '/files/')
    assert path == str(checkpoints(tmp_path) / filename)
    assert loopback_hub.count('GET', filename) == 1


def test_the_real_vgg_entry_refuses_a_file_of_another_digest(loopback_hub, tmp_path):
    name = WEIGHT_FILES['vgg16'].filename
    data = b'not the weights' * 1000
    loopback_hub.add_file(name, data)
    with pytest.raises(DownloadError) as error:
        LPIPSLoss()(torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16))
    assert str(error.value) == (
        f'LPIPS VGG16 trunk: the download from {loopback_hub.url}/files/{name} was refused: '
        f'SHA-256 {hashlib.sha256(data).hexdigest()} does not match the expected 397923af. '
        'Nothing was kept; if it repeats, the server or mirror serves another file.')
    assert listing(checkpoints(tmp_path)) == []


def test_inception_downloads_and_builds(loopback_hub, tmp_path, inception_file, monkeypatch):
    data = Path(inception_file).read_bytes()
    filename = renamed('inception', data, monkeypatch)
    loopback_hub.add_file(filename, data)
    network = build_inception()
    assert (checkpoints(tmp_path) / filename).read_bytes() == data
    features = network(torch.zeros(2, 3, 64, 64, dtype=torch.uint8))
    assert features[0].shape == (2, 2048)


def test_files_without_a_published_digest_are_checked_by_content(loopback_hub, tmp_path):
    good = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), good)
    loopback_hub.add_file('i3d_torchscript.pt', b'PK' + os.urandom(5000))
    with pytest.raises(DownloadError, match=r'rFVD Kinetics-400 I3D: the download from .*'
                                            r'i3d_torchscript.pt was refused: it is not a '
                                            r'TorchScript archive that loads'):
        find_weight_file('i3d')
    assert listing(checkpoints(tmp_path)) == []
    loopback_hub.add_file('i3d_torchscript.pt', good.getvalue())
    assert Path(find_weight_file('i3d')).read_bytes() == good.getvalue()

    def npz(**arrays):
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()
    name = 'VIRTUAL_imagenet256_labeled.npz'
    loopback_hub.add_file(name, npz(mu=np.zeros(64), sigma=np.eye(64)))
    with pytest.raises(DownloadError, match=r"it is no ADM reference batch: 'mu' is \(64,\), "
                                            r'not \(2048,\)'):
        known_reference('adm_imagenet256')
    assert not (checkpoints(tmp_path) / name).exists()
    loopback_hub.add_file(name, npz(mu=np.zeros(2048), sigma=np.eye(2048)))
    assert known_reference(name) == str(checkpoints(tmp_path) / name)  # by file name too
    assert known_reference('adm_imagenet256') == str(checkpoints(tmp_path) / name)


def test_offline_is_the_missing_file_error_and_metrics_are_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setattr(torch.hub, '_hub_dir', None)
    with pytest.raises(FileNotFoundError) as error:
        find_weight_file('inception')
    name = WEIGHT_FILES['inception'].filename
    assert str(error.value) == (
        f'rFID/rIS InceptionV3: {name} not found (looked for {checkpoints(tmp_path) / name}) '
        'and downloads are off (VITOK_MM_OFFLINE=1). Unset VITOK_MM_OFFLINE to download it '
        f'from {WEIGHT_FILES["inception"].url}, copy it into {checkpoints(tmp_path)}, or set '
        f'inception_weights=/path/to/{name} in the config.')
    metrics = [dict(type='ReconstructionMetric'), dict(type='FIDMetric')]
    kept, skipped = split_available(metrics)
    assert kept == metrics[:1] and 'downloads are off' in skipped['FIDMetric']


def test_a_failing_download_skips_the_metric_with_the_reason(loopback_hub):
    kept, skipped = split_available([dict(type='LPIPSMetric')])  # the server has no file
    assert kept == [] and 'HTTP 404' in skipped['LPIPSMetric']


def test_a_cut_download_resumes_from_its_partial_file(loopback_hub, tmp_path):
    data = os.urandom(3 << 20)
    url = loopback_hub.add_file('blob-x.bin', data)
    dest = tmp_path / 'cache' / 'blob-x.bin'
    loopback_hub.truncate('blob-x.bin', (2 << 20) + 123)
    with pytest.raises(DownloadError, match=rf'downloading blob-x.bin: the download from {url} '
                                            rf'ended after {(2 << 20) + 123} of {3 << 20} bytes; '
                                            'run again to resume it'):
        download(url, str(dest), sha256=hashlib.sha256(data).hexdigest(), progress=False,
                 what='downloading blob-x.bin')
    assert not dest.exists()
    loopback_hub.clear_faults()
    download(url, str(dest), sha256=hashlib.sha256(data).hexdigest(), progress=False)
    assert dest.read_bytes() == data
    assert loopback_hub.request_headers[-1].get('Range') == f'bytes={(2 << 20) + 123}-'
    assert listing(dest.parent) == ['blob-x.bin']


def test_a_download_killed_halfway_and_rerun_ends_with_the_right_file(loopback_hub, tmp_path):
    data = os.urandom(4 << 20)
    url = loopback_hub.add_file('big.bin', data)
    loopback_hub.throttle('big.bin', 2 << 20)  # two seconds for the file
    dest = tmp_path / 'cache' / 'big.bin'
    digest = hashlib.sha256(data).hexdigest()
    code = ('from vitok_mm.utils.download import download; '
            f'download({url!r}, {str(dest)!r}, sha256={digest!r}, progress=False)')
    process = subprocess.Popen([sys.executable, '-c', code], cwd=tmp_path,
                               env=dict(os.environ, PYTHONPATH=str(REPO)))
    partial = Path(str(dest) + '.partial')
    deadline = time.time() + 60
    while time.time() < deadline and not (partial.exists() and partial.stat().st_size):
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert 0 < partial.stat().st_size < len(data) and not dest.exists()
    loopback_hub.clear_faults()
    assert download(url, str(dest), sha256=digest, progress=False) == str(dest)
    assert dest.read_bytes() == data and not partial.exists()
    assert loopback_hub.request_headers[-1]['Range'].startswith('bytes=')
