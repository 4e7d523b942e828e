"""Self-tests of the loopback HTTP server (tests/loopback.py) against huggingface_hub and urllib.

They also pin what huggingface_hub (2.4.0) does against a Hub-like endpoint: how many requests
one download makes, which exception each failure raises, what a cut connection leaves behind.
Every download goes to ``tmp_path``, never to the user's cache, and uses ``token=False`` so a
token stored on the machine is never sent.
"""

import hashlib
import http.client
import os
import socket
import time
import types
import urllib.error
import urllib.request

import httpx2
import pytest
from huggingface_hub import constants, file_download, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    LocalEntryNotFoundError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import close_session

from tests.loopback import LoopbackServer

REPO = 'org/model'
FILENAME = 'sub/weights.bin'
DATA = bytes(range(256)) * 64  # 16 KiB, distinct bytes so corruption and ranges show


@pytest.fixture(autouse=True)
def _hub_reaches_loopback(monkeypatch):
    """Let huggingface_hub reach 127.0.0.1 whatever the developer's environment says."""
    # HF_HUB_OFFLINE is read once at import; an offline setting would block even 127.0.0.1.
    monkeypatch.setattr(constants, 'HF_HUB_OFFLINE', False)
    # httpx2 sends loopback traffic to HTTP_PROXY unless NO_PROXY names it, and reads the
    # proxy settings when huggingface_hub's shared client is built: rebuild it on both sides.
    for name in ('NO_PROXY', 'no_proxy'):
        monkeypatch.setenv(name, ','.join(filter(None, ['127.0.0.1', os.environ.get(name)])))
    close_session()
    yield
    close_session()


@pytest.fixture
def server():
    with LoopbackServer(lifetime=30) as srv:
        srv.add_repo_file(REPO, FILENAME, DATA)
        yield srv


def _download(server, cache_dir, repo_id=REPO, filename=FILENAME, **kwargs):
    kwargs.setdefault('token', False)
    return hf_hub_download(repo_id, filename, endpoint=server.url, cache_dir=cache_dir, **kwargs)


def test_hub_download_is_cached_by_sha256(server, tmp_path):
    path = _download(server, tmp_path)
    with open(path, 'rb') as f:
        assert f.read() == DATA
    blob = tmp_path / 'models--org--model' / 'blobs' / hashlib.sha256(DATA).hexdigest()
    assert os.path.realpath(path) == str(blob)
    assert (server.count('HEAD'), server.count('GET')) == (1, 1)

    # A second call re-checks the metadata with a HEAD but must not fetch the body again.
    assert _download(server, tmp_path) == path
    assert server.count('GET') == 1
    assert server.count('HEAD') == 2


def test_hub_download_by_commit_hash_needs_no_request_once_cached(server, tmp_path):
    commit = server.commit_hash(REPO)
    path = _download(server, tmp_path, revision=commit)
    assert f'/snapshots/{commit}/' in path
    seen = len(server.requests)
    assert _download(server, tmp_path, revision=commit) == path
    assert len(server.requests) == seen


def test_local_files_only(server, tmp_path):
    path = _download(server, tmp_path)
    seen = len(server.requests)
    assert _download(server, tmp_path, local_files_only=True) == path
    assert len(server.requests) == seen

    with pytest.raises(LocalEntryNotFoundError):
        _download(server, tmp_path / 'empty', local_files_only=True)
    assert len(server.requests) == seen


@pytest.mark.parametrize('repo_id, filename, revision, error', [
    ('org/missing', FILENAME, None, RepositoryNotFoundError),
    (REPO, 'missing.bin', None, RemoteEntryNotFoundError),
    (REPO, FILENAME, 'v9', RevisionNotFoundError),
    ('org/gated', FILENAME, None, GatedRepoError),
])
def test_hub_errors(server, tmp_path, repo_id, filename, revision, error):
    server.add_repo_file('org/gated', FILENAME, DATA)
    server.gate('org/gated')
    with pytest.raises(error) as info:
        _download(server, tmp_path, repo_id=repo_id, filename=filename, revision=revision)
    # GatedRepoError subclasses RepositoryNotFoundError; a plain missing repo must not be
    # reported as gated.
    assert type(info.value) is error
    if error is RemoteEntryNotFoundError:
        assert isinstance(info.value, EntryNotFoundError)


def test_gated_repo_served_with_a_token(server, tmp_path):
    server.add_repo_file('org/gated', FILENAME, DATA)
    server.gate('org/gated')
    path = _download(server, tmp_path, repo_id='org/gated', token='hf_loopback')
    with open(path, 'rb') as f:
        assert f.read() == DATA
    assert all('authorization' in {k.lower() for k in h} for h in server.request_headers)


def test_plain_file_range(server):
    url = server.add_file('vgg16-397923af.pth', DATA)
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        assert int(response.headers['Content-Length']) == len(DATA)
        assert response.read() == DATA

    request = urllib.request.Request(url, headers={'Range': 'bytes=10-'})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 206
        assert response.headers['Content-Range'] == f'bytes 10-{len(DATA) - 1}/{len(DATA)}'
        assert response.read() == DATA[10:]

    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f'{server.url}/files/missing.pth', timeout=5)
    info.value.close()
    assert info.value.code == 404


def test_truncated_plain_file(server):
    url = server.add_file('a.bin', DATA)
    server.truncate('a.bin', 1000)
    with urllib.request.urlopen(url, timeout=5) as response:
        assert int(response.headers['Content-Length']) == len(DATA)
        with pytest.raises(http.client.IncompleteRead):
            response.read()
    # Reading in chunks, as torch.hub.download_url_to_file does, ends quietly at the cut:
    # only a hash check (hash_prefix) catches the short file.
    with urllib.request.urlopen(url, timeout=5) as response:
        received = b''.join(iter(lambda: response.read(8192), b''))
    assert received == DATA[:1000]


def test_truncated_hub_file_leaves_no_blob(server, tmp_path, monkeypatch):
    # http_get sleeps 1 s before each of its 5 resume attempts; skip the waits.
    monkeypatch.setattr(file_download, 'time', types.SimpleNamespace(sleep=lambda seconds: None))
    server.truncate(FILENAME, 1000)
    with pytest.raises(httpx2.RemoteProtocolError):
        _download(server, tmp_path)
    # One HEAD, then the first GET and 5 retries. The 1000 bytes received are below
    # huggingface_hub's 10 MiB read chunk, so they are dropped and no retry sends a Range.
    assert (server.count('HEAD'), server.count('GET')) == (1, 6)
    assert not any('range' in {k.lower() for k in h} for h in server.request_headers)

    storage = tmp_path / 'models--org--model'
    assert list((storage / 'blobs').iterdir()) == []
    assert not list(storage.rglob('*.incomplete'))
    assert not (storage / 'snapshots' / server.commit_hash(REPO) / FILENAME).exists()

    server.clear_faults()
    with open(_download(server, tmp_path), 'rb') as f:
        assert f.read() == DATA


def test_corrupt_keeps_headers_and_hub_client_does_not_verify(server, tmp_path):
    url = server.add_file('a.bin', DATA)
    with urllib.request.urlopen(url, timeout=5) as response:
        true_etag = response.headers['ETag']
    server.corrupt('a.bin')
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.headers['ETag'] == true_etag
        body = response.read()
    assert len(body) == len(DATA) and body != DATA

    # huggingface_hub checks only the size of a plain HTTP download, not its sha256: the
    # corrupt body lands in the cache under the true file's hash.
    server.corrupt(FILENAME)
    path = _download(server, tmp_path)
    assert os.path.basename(os.path.realpath(path)) == hashlib.sha256(DATA).hexdigest()
    with open(path, 'rb') as f:
        assert f.read() != DATA


def test_throttled_download_can_be_abandoned(server):
    url = server.add_file('slow.bin', DATA)
    server.throttle('slow.bin', 20_000)
    start = time.monotonic()
    with urllib.request.urlopen(url, timeout=5) as response:
        head = response.read(4000)
    assert head == DATA[:4000]
    assert time.monotonic() - start > 0.1
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 2


def test_lifetime_bounds_the_server():
    server = LoopbackServer(lifetime=0.5).start()
    try:
        port = int(server.url.rsplit(':', 1)[1])
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
        deadline = time.monotonic() + 2
        while server.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not server.running
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(('127.0.0.1', port), timeout=1)
    finally:
        server.stop()
