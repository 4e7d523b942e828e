"""Weights that download themselves, served by a loopback server (tests/loopback.py):
a ViTok-v2 release named in the model index is downloaded from the (loopback) Hub,
converted in memory, cached and reconstructs exactly as converting by hand does; a
second call downloads nothing; offline, corrupt, truncated and interrupted downloads
end in one-line errors and leave nothing in the caches; ``https://`` weights of the index
are checked against the digest in their name."""
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from tests import v2_reference as ref
from tests.test_apis.test_model_index import write_index
from vitok_mm.apis import Tokenizer
from vitok_mm.apis import model_index as index
from vitok_mm.apis.convert_vitok_v2 import convert_v2
from vitok_mm.models.vitok_v2 import v2_model_config
from vitok_mm.utils.download import DownloadError

REPO = Path(__file__).resolve().parents[2]
NARROW = 'w128_d2_h2-w128_d3_h2/1x8x8'
HUB_REPO = 'test-org/ViTok-v2-narrow'
NAME = 'vitok-v2-narrow'


def release_files(folder: Path, seed: int = 0):
    """Random weights in the release's layout (key names, shapes, two files)."""
    enc, dec = ref.v2_state_dicts(NARROW, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(enc, str(folder / 'encoder.safetensors'))
    save_file(dec, str(folder / 'decoder.safetensors'))
    return folder / 'encoder.safetensors', folder / 'decoder.safetensors'


@pytest.fixture
def released(tmp_path, loopback_hub, monkeypatch):
    """A model index (in tmp_path) naming a v2 release on the loopback Hub, as the real
    index names the nine releases: ``(server, (encoder file, decoder file), config)``."""
    root = tmp_path / 'index'
    (root / 'configs' / 'v2').mkdir(parents=True)
    config = root / 'configs' / 'v2' / 'narrow.py'
    config.write_text(f"_base_ = '{REPO / 'configs/_base_/models/vitok_v2_350m.py'}'\n"
                      f'model = {v2_model_config(NARROW)!r}\n')
    (root / 'configs' / 'v2' / 'metafile.yml').write_text(textwrap.dedent(f'''
        Models:
          - Name: {NAME}
            Config: configs/v2/narrow.py
            Weights: hf://{HUB_REPO}
            Weights Format: vitok-v2
            Variant: {NARROW}
    '''))
    monkeypatch.setattr(index, 'index_root', lambda: str(root))
    files = release_files(tmp_path / 'release')
    for path in files:
        loopback_hub.add_repo_file(HUB_REPO, path.name, path.read_bytes())
    return loopback_hub, files, str(config)


def images():
    from skimage import data
    photos = [data.astronaut()[100:148, 150:222], data.coffee()[60:101, 40:135]]
    return [torch.from_numpy(p.copy()).permute(2, 0, 1).float() / 127.5 - 1 for p in photos]


def mapped_from(tensor: torch.Tensor, path: Path) -> bool:
    """Whether ``tensor``'s memory lies in a mapping of the file ``path`` (/proc/self/maps)."""
    address = tensor.data_ptr()
    with open('/proc/self/maps') as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5] == str(path):
                begin, end = (int(x, 16) for x in fields[0].split('-'))
                if begin <= address < end:
                    return True
    return False


def converted_files(tmp_path: Path):
    return sorted((tmp_path / 'vitok' / 'converted').rglob('*.safetensors'))


def blobs(tmp_path: Path):
    """The files of the Hugging Face cache (an ``.incomplete`` one, kept by some
    huggingface_hub releases to resume a broken download, is no file of the cache)."""
    return sorted(p.name for p in (tmp_path / 'hf').rglob('blobs/*')
                  if not p.name.endswith('.incomplete'))


def test_a_release_name_downloads_converts_and_equals_converting_by_hand(released, tmp_path):
    server, (encoder, decoder), config = released
    tok = Tokenizer.from_pretrained(NAME)
    assert server.count('GET', 'encoder.safetensors') == 1
    assert server.count('GET', 'decoder.safetensors') == 1
    by_hand = tmp_path / 'by_hand.pth'
    convert_v2(str(encoder), str(decoder), NARROW, str(by_hand))
    expected = Tokenizer.from_pretrained(config, str(by_hand))
    assert tok.packed and tok.pad_mode == 'zeros'  # the config's tokenizer defaults
    for image in images():
        assert torch.equal(tok.reconstruct(image), expected.reconstruct(image))
    enc, dec = ref.v2_state_dicts(NARROW, seed=0)
    torch.testing.assert_close(tok.encode(images()[0])[0],
                               ref.v2_latents(enc, NARROW, [images()[0]])[0],
                               atol=1e-4, rtol=0)
    cached, = converted_files(tmp_path)
    stamp = cached.stat().st_mtime_ns

    # A second call downloads no file and converts nothing.
    again = Tokenizer.from_pretrained(NAME)
    assert server.count('GET') == 2
    assert cached.stat().st_mtime_ns == stamp and converted_files(tmp_path) == [cached]
    assert again.fingerprint == tok.fingerprint
    # Offline, the cache is enough: no request at all.
    requests = len(server.requests)
    os.environ['VITOK_MM_OFFLINE'] = '1'
    try:
        offline = Tokenizer.from_pretrained(NAME)
    finally:
        del os.environ['VITOK_MM_OFFLINE']
    assert len(server.requests) == requests
    assert torch.equal(offline.reconstruct(images()[1]), expected.reconstruct(images()[1]))


def test_bf16_weights_are_cached_apart_and_memory_mapped(released, tmp_path):
    tok = Tokenizer.from_pretrained(NAME, dtype=torch.bfloat16)
    assert {p.dtype for p in tok.model.parameters()} == {torch.bfloat16}
    cached, = converted_files(tmp_path)
    assert cached.name.endswith('-bfloat16.safetensors')
    # The parameters are views of the cached file's mapping, not copies.
    assert all(mapped_from(p, cached) for p in tok.model.parameters())
    full = Tokenizer.from_pretrained(NAME)
    image = images()[0]
    assert (tok.reconstruct(image) - full.reconstruct(image)).abs().mean() < 0.05
    assert len(converted_files(tmp_path)) == 2


def test_offline_with_nothing_cached_is_one_line_with_the_fetch_command(released,
                                                                        monkeypatch):
    server = released[0]
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    with pytest.raises(FileNotFoundError) as error:
        Tokenizer.from_pretrained(NAME)
    assert str(error.value) == (
        f'{NAME}: encoder.safetensors, decoder.safetensors of hf://{HUB_REPO} are not in the '
        'Hugging Face cache and downloads are off (HF_HUB_OFFLINE=1). Fetch them with `hf '
        f'download {HUB_REPO} encoder.safetensors decoder.safetensors` (on a networked '
        'machine, then copy its HF_HOME here).')
    assert server.requests == []


def test_a_corrupted_download_is_refused_and_leaves_nothing(released, tmp_path):
    server, (encoder, _), _ = released
    server.corrupt('encoder.safetensors')
    with pytest.raises(DownloadError) as error:
        Tokenizer.from_pretrained(NAME)
    digest = hashlib.sha256(encoder.read_bytes()).hexdigest()
    message = str(error.value)
    assert message.startswith(f'{NAME}: encoder.safetensors of hf://{HUB_REPO} was refused: '
                              'its content has digest ')
    assert f'the Hub announced {digest}' in message and '\n' not in message
    assert digest not in blobs(tmp_path) and converted_files(tmp_path) == []
    server.clear_faults()  # the next call downloads it anew, and it is right
    Tokenizer.from_pretrained(NAME)
    assert digest in blobs(tmp_path) and len(converted_files(tmp_path)) == 1


def test_a_truncated_download_is_refused_and_leaves_nothing(released, tmp_path):
    server, (encoder, _), _ = released
    server.truncate('encoder.safetensors', encoder.stat().st_size // 2)
    with pytest.raises(DownloadError, match=rf'{NAME}: downloading encoder.safetensors of '
                                            rf'hf://{HUB_REPO} failed \(.*\)\. Run again'):
        Tokenizer.from_pretrained(NAME)
    assert blobs(tmp_path) == [] and converted_files(tmp_path) == []


def test_the_cli_answers_a_refused_download_in_one_line(released, tmp_path):
    server = released[0]
    server.gate(HUB_REPO)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    code = ('import sys; from vitok_mm.apis import model_index as index; '
            f'index.index_root = lambda: {str(tmp_path / "index")!r}; '
            'from vitok_mm.cli import console_main; '
            f"sys.argv = ['vitok-mm', 'reconstruct', {NAME!r}, 'x.png', '--out', 'o']; "
            'console_main()')
    done = subprocess.run([sys.executable, '-c', code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f'error: {NAME}: hf://{HUB_REPO} is gated: accept its terms at '
        f'https://huggingface.co/{HUB_REPO} and set HF_TOKEN to a token of that account (or '
        'run `hf auth login`).')


def test_a_download_killed_halfway_and_rerun_ends_with_the_right_file(released, tmp_path):
    """A process downloading the release is killed while the encoder file is on its way;
    the next call downloads it again (huggingface_hub resumes an .incomplete file of 10
    MiB or more), verifies it and converts."""
    server, (encoder, decoder), config = released
    size = encoder.stat().st_size
    server.throttle('encoder.safetensors', max(size // 4, 1))  # about 4 s for the file
    env = dict(os.environ, PYTHONPATH=str(REPO))
    code = ('from vitok_mm.apis import model_index as index; '
            f'index.index_root = lambda: {str(tmp_path / "index")!r}; '
            'import huggingface_hub.constants as c; '
            f'c.HF_HUB_CACHE = {str(tmp_path / "hf")!r}; '
            'from vitok_mm.apis import Tokenizer; '
            f'Tokenizer.from_pretrained({NAME!r})')
    process = subprocess.Popen([sys.executable, '-c', code], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if server.count('GET', 'encoder.safetensors'):
            break
        time.sleep(0.05)
    time.sleep(1)  # a quarter of the file is through
    running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    _, errors = process.communicate(timeout=30)
    assert running, f'the download was not under way when it was killed: {errors}'
    digest = hashlib.sha256(encoder.read_bytes()).hexdigest()
    assert digest not in blobs(tmp_path) and converted_files(tmp_path) == []
    server.clear_faults()
    tok = Tokenizer.from_pretrained(NAME)
    by_hand = tmp_path / 'by_hand.pth'
    convert_v2(str(encoder), str(decoder), NARROW, str(by_hand))
    expected = Tokenizer.from_pretrained(config, str(by_hand))
    assert torch.equal(tok.reconstruct(images()[0]), expected.reconstruct(images()[0]))
    assert digest in blobs(tmp_path)


def test_https_weights_download_into_torch_hub_and_are_checked_by_the_digest_in_their_name(
        loopback_hub, tmp_path, monkeypatch):
    data = (REPO / 'tests/data/micro_vitok_iter_2.pth').read_bytes()
    prefix = hashlib.sha256(data).hexdigest()[:8]
    good = loopback_hub.add_file(f'micro-{prefix}.pth', data)
    bad = loopback_hub.add_file('micro-00000000.pth', data)
    root = tmp_path / 'index'
    write_index(root, good)
    with open(root / 'configs' / 'micro' / 'metafile.yml', 'a') as metafile:
        metafile.write(f'  - Name: micro-bad\n    Config: configs/micro/micro.py\n'
                       f'    Weights: {bad}\n')
    monkeypatch.setattr(index, 'index_root', lambda: str(root))
    monkeypatch.delenv('VITOK_MM_MIRROR')  # the index's own URLs
    tok = Tokenizer.from_pretrained('micro')
    path = tmp_path / 'torch' / 'hub' / 'checkpoints' / f'micro-{prefix}.pth'
    assert path.read_bytes() == data and tok.source == str(path)
    assert tok.encode(torch.zeros(3, 16, 16)).shape == (1, 4, 4, 4)
    Tokenizer.from_pretrained('micro')
    assert loopback_hub.count('GET', 'micro-') == 1
    with pytest.raises(DownloadError) as error:
        Tokenizer.from_pretrained('micro-bad')
    assert str(error.value) == (
        f'micro-bad weights: the download from {bad} was refused: SHA-256 '
        f'{hashlib.sha256(data).hexdigest()} does not match the expected 00000000. Nothing '
        'was kept; if it repeats, the server or mirror serves another file.')
    assert sorted(p.name for p in path.parent.iterdir()) == ['.locks', path.name]


def test_hub_options_reach_huggingface_hub(released, tmp_path):
    """``cache_dir``, ``local_files_only`` and ``revision`` go to ``hf_hub_download``."""
    server = released[0]
    elsewhere = tmp_path / 'elsewhere'
    with pytest.raises(FileNotFoundError, match=r'are not in the Hugging Face cache and '
                                                r'local_files_only=True\. Fetch them'):
        Tokenizer.from_pretrained(NAME, cache_dir=str(elsewhere), local_files_only=True)
    assert server.requests == []
    Tokenizer.from_pretrained(NAME, cache_dir=str(elsewhere))
    assert len(list(elsewhere.rglob('blobs/*'))) == 2 and blobs(tmp_path) == []
    with pytest.raises(DownloadError, match=rf"{HUB_REPO} has no revision 'v9'"):
        Tokenizer.from_pretrained(NAME, revision='v9')
