import os

import pytest
import torch

from vitok_mm.utils import register_all_modules

# Tests never touch the network: downloads (plain and Hugging Face Hub ones) are off
# unless a test serves the files itself (tests/loopback.py) and lifts the switch.
# Subprocesses inherit it.
os.environ['VITOK_MM_OFFLINE'] = '1'

register_all_modules()


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


#: A tower small enough for CPU tests, large enough for 3D RoPE (head_dim 24).
TINY_TOWER = dict(width=48, depth=1, num_heads=2)


def tiny_vitok_config(patch_size=8, tubelet_size=None, latent_channels=4, **tower):
    """A ViTok config with tiny towers; ``tower`` options go to both towers."""
    options = dict(TINY_TOWER, **tower)
    return dict(
        type='ViTok', patch_size=patch_size, tubelet_size=tubelet_size,
        encoder=dict(type='ViTEncoder', **options),
        bottleneck=dict(type='GaussianBottleneck', latent_channels=latent_channels),
        decoder=dict(type='ViTDecoder', **options))


@pytest.fixture
def loopback_hub(tmp_path, monkeypatch):
    """A loopback server (tests/loopback.py) that stands in for the Hugging Face Hub and
    for download URLs, with downloads switched on and every cache in ``tmp_path``:
    huggingface_hub's (``tmp_path/hf``), torch hub's (``tmp_path/torch``) and vitok_mm's
    (``tmp_path/vitok``). ``VITOK_MM_MIRROR`` points plain downloads at its ``/files/``."""
    from huggingface_hub import constants, file_download
    from huggingface_hub import utils as hub_utils

    # The shared HTTP client keeps the proxy settings it was built with: rebuild it.
    close_session = getattr(hub_utils, 'close_session', None) or getattr(
        hub_utils, 'reset_sessions', lambda: None)

    from tests.loopback import LoopbackServer
    for name in ('VITOK_MM_OFFLINE', 'HF_HUB_OFFLINE', 'HF_TOKEN'):
        monkeypatch.delenv(name, raising=False)
    # huggingface_hub reads these once, at import.
    monkeypatch.setattr(constants, 'HF_HUB_OFFLINE', False)
    monkeypatch.setattr(constants, 'HF_HUB_CACHE', str(tmp_path / 'hf'))
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path / 'hf'))  # vitok_mm reads it per call
    monkeypatch.setattr(constants, 'HF_TOKEN_PATH', str(tmp_path / 'no_token'))
    # Its retries of a broken download wait a second each.
    monkeypatch.setattr(file_download, 'time', type('', (), {'sleep': staticmethod(
        lambda seconds: None)}))
    for name in ('NO_PROXY', 'no_proxy'):  # the HTTP client would send loopback to a proxy
        monkeypatch.setenv(name, ','.join(filter(None, ['127.0.0.1', os.environ.get(name)])))
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setattr(torch.hub, '_hub_dir', None)
    monkeypatch.setenv('VITOK_MM_HOME', str(tmp_path / 'vitok'))
    close_session()
    with LoopbackServer(lifetime=300) as server:
        monkeypatch.setenv('HF_ENDPOINT', server.url)
        monkeypatch.setenv('VITOK_MM_MIRROR', server.url + '/files')
        yield server
    close_session()
