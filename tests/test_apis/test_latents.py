"""The latent cache: extraction (views, flips, moments, shards, statistics, reruns, two
processes), LatentDataset and LatentPreprocessor, on the micro fixture tokenizer."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch import nn

from vitok_mm.apis import build_inference_model
from vitok_mm.datasets import LatentDataset
from vitok_mm.datasets.seeding import sample_seed
from vitok_mm.models import LatentPreprocessor
from vitok_mm.registry import DATASETS
from vitok_mm.utils import load_checkpoint
from vitok_mm.workflows import extract_latents
from vitok_mm.workflows.samples import build_sample_folders

REPO = Path(__file__).resolve().parents[2]
TOKENIZER = str(REPO / 'tests/data/micro_vitok.py')
CHECKPOINT = str(REPO / 'tests/data/micro_vitok_iter_2.pth')
VIEWS, FLIPS, PHOTOS = 2, 2, 16


@pytest.fixture(scope='module')
def data_config(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp('latent_data')
    build_sample_folders(str(folder / 'samples'))
    path = folder / 'data.py'
    path.write_text(textwrap.dedent(f'''
        train_dataloader = dict(dataset=dict(
            type='ImageDataset', data_root='{folder / "samples"}', data_prefix='train',
            pipeline=[dict(type='LoadImage'),
                      dict(type='RandomResizedCrop', size=16, scale=(0.2, 1.0)),
                      dict(type='PackInputs')]))
    '''))
    return str(path)


@pytest.fixture(scope='module')
def cache(data_config, tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp('cache') / 'latents')
    extract_latents(TOKENIZER, CHECKPOINT, data_config, out, views=VIEWS, flip=True,
                    store='moments', shard_size=10, dtype='float16', progress=False)
    return out


def shards_of(out: str) -> dict:
    arrays = {}
    for name in sorted(os.listdir(out)):
        if name.startswith('shard_') and name.endswith('.npz'):
            with np.load(os.path.join(out, name)) as shard:
                arrays[name] = {k: shard[k] for k in shard.files}
    return arrays


def all_latents(out: str) -> np.ndarray:
    return np.concatenate([s['mean'] for s in shards_of(out).values()])


def test_layout_views_flips_and_statistics(cache, data_config):
    manifest = json.loads(Path(cache, 'manifest.json').read_text())
    count = PHOTOS * VIEWS * FLIPS
    assert manifest['status'] == 'complete' and manifest['count'] == count
    assert manifest['shards'] == 7 and manifest['latent_shape'] == [4, 4, 4]
    assert manifest['tokenizer_fingerprint'] == hashlib.sha256(
        Path(CHECKPOINT).read_bytes()).hexdigest()
    shards = shards_of(cache)
    assert list(shards) == [f'shard_{i:05d}.npz' for i in range(7)]
    ids = np.concatenate([s['ids'] for s in shards.values()])
    assert np.array_equal(ids, np.arange(count))
    mean = all_latents(cache)
    assert mean.dtype == np.float16 and mean.shape == (count, 4, 4, 4)
    std = np.concatenate([s['std'] for s in shards.values()])
    assert (std > 0).all()

    # Sample 3 = photo 0, view 1, mirrored; sample 2 its unmirrored view.
    model = build_inference_model(Config.fromfile(TOKENIZER), CHECKPOINT)
    dataset = DATASETS.build(Config.fromfile(data_config).train_dataloader.dataset)
    view = dataset[(0, sample_seed(0, 1))]['inputs']
    with torch.no_grad():
        pixels = model.data_preprocessor(dict(inputs=[view, view.flip(-1)]), False)['inputs']
        expected = model.encode(pixels).mode().numpy().astype(np.float16)
    np.testing.assert_array_equal(mean[2:4], expected)
    assert not np.array_equal(mean[0], mean[2])  # the two views differ

    # Statistics of what is stored, per channel, against numpy in float64.
    stats = load_checkpoint(Path(cache, 'stats.pth'))
    values = mean.astype(np.float64).transpose(1, 0, 2, 3).reshape(4, -1)
    np.testing.assert_allclose(stats['mean'].numpy(), values.mean(1), rtol=1e-12)
    np.testing.assert_allclose(stats['std'].numpy(), values.std(1), rtol=1e-9)
    assert stats['count'] == values.shape[1]
    assert stats['fingerprint'] == manifest['tokenizer_fingerprint']


def test_a_rerun_after_a_kill_encodes_only_what_is_missing(cache, data_config, tmp_path):
    out = str(tmp_path / 'killed')
    shutil.copytree(cache, out)
    # What a kill leaves: missing shards, a half-written temporary file, no statistics.
    for name in ('shard_00001.npz', 'shard_00005.npz', 'stats.pth'):
        os.remove(os.path.join(out, name))
    Path(out, 'shard_00005.npz.partial-123').write_bytes(b'PK\x03\x04 half')
    manifest = json.loads(Path(out, 'manifest.json').read_text())
    manifest['status'] = 'incomplete'
    Path(out, 'manifest.json').write_text(json.dumps(manifest))
    kept = os.stat(os.path.join(out, 'shard_00000.npz')).st_mtime_ns
    extract_latents(TOKENIZER, CHECKPOINT, data_config, out, views=VIEWS, flip=True,
                    store='moments', shard_size=10, progress=False)
    assert os.stat(os.path.join(out, 'shard_00000.npz')).st_mtime_ns == kept  # not redone
    assert not [name for name in os.listdir(out) if 'partial' in name]
    expected, again = shards_of(cache), shards_of(out)
    assert list(again) == list(expected)
    for name in expected:
        for key in expected[name]:
            np.testing.assert_array_equal(again[name][key], expected[name][key])
    a, b = load_checkpoint(Path(cache, 'stats.pth')), load_checkpoint(Path(out, 'stats.pth'))
    assert torch.equal(a['mean'], b['mean']) and torch.equal(a['std'], b['std'])


def test_a_cache_of_other_settings_is_refused(cache, data_config):
    with pytest.raises(ValueError, match=r'made with other settings \(views: 2 there, 1 now; '
                                         r'count: 64 there, 32 now\)'):
        extract_latents(TOKENIZER, CHECKPOINT, data_config, cache, views=1, flip=True,
                        store='moments', shard_size=10, progress=False)


def test_bad_options(cache, data_config, tmp_path):
    for kwargs, message in ((dict(views=0), 'views=0'), (dict(store='both'), "store='both'"),
                            (dict(split='holdout'), "split='holdout'"),
                            (dict(dtype='int8'), "dtype='int8'")):
        with pytest.raises(ValueError, match=message):
            extract_latents(TOKENIZER, CHECKPOINT, data_config, str(tmp_path / 'x'), **kwargs)
    with pytest.raises(ValueError, match='has no val_dataloader'):
        extract_latents(TOKENIZER, CHECKPOINT, data_config, str(tmp_path / 'x'), split='val')
    with pytest.raises(FileNotFoundError, match='tokenizer checkpoint .*nothing.pth'):
        extract_latents(TOKENIZER, str(tmp_path / 'nothing.pth'), data_config,
                        str(tmp_path / 'x'))


def test_two_processes_write_the_same_cache(cache, data_config, tmp_path):
    out = str(tmp_path / 'ddp')
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
               '--nproc_per_node=2', str(REPO / 'tools/extract_latents.py'), TOKENIZER,
               CHECKPOINT, '--data-config', data_config, '--out', out, '--views', str(VIEWS),
               '--flip', '--store', 'moments', '--shard-size', '10', '--launcher', 'pytorch']
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'{PHOTOS * VIEWS * FLIPS} latents of 4x4x4 (moments, float16) in 7 shards' in \
        result.stdout
    expected, ddp = shards_of(cache), shards_of(out)
    assert list(ddp) == list(expected)
    for name in expected:
        for key in expected[name]:
            np.testing.assert_array_equal(ddp[name][key], expected[name][key])
    a, b = load_checkpoint(Path(cache, 'stats.pth')), load_checkpoint(Path(out, 'stats.pth'))
    assert torch.equal(a['mean'], b['mean']) and torch.equal(a['std'], b['std'])


def test_the_tool_answers_a_bad_input_in_one_line(data_config, tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/extract_latents.py'), TOKENIZER,
         str(tmp_path / 'missing.pth'), '--data-config', data_config, '--out',
         str(tmp_path / 'out')],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == \
        f'error: tokenizer checkpoint {tmp_path / "missing.pth"} does not exist.'
    assert 'Traceback' not in result.stderr


# --------------------------------------------------------------------- LatentDataset
def test_dataset_items_are_the_stored_latents(cache):
    dataset = LatentDataset(cache)
    on_demand = LatentDataset(cache, in_memory=False, max_open_shards=2)
    mean = all_latents(cache)
    assert len(dataset) == len(on_demand) == len(mean)
    for index in (0, 9, 10, 63):
        item = dataset[index]
        assert item['inputs'].dtype == torch.float32 and item['inputs'].shape == (4, 4, 4)
        assert torch.equal(item['inputs'], torch.from_numpy(mean[index].astype(np.float32)))
        assert torch.equal(on_demand[index]['inputs'], item['inputs'])
        assert item['data_samples'].label == -1 and item['data_samples'].sample_idx == index
    assert dataset.metainfo['fingerprint'] == json.loads(
        Path(cache, 'manifest.json').read_text())['tokenizer_fingerprint']
    assert dataset.metainfo['latent_shape'] == (4, 4, 4)
    with pytest.raises(IndexError):
        dataset[len(dataset)]


def test_dataset_samples_the_posterior_with_the_draws_seed(cache):
    dataset = LatentDataset(cache, sample_posterior=True)
    first, again, other = dataset[(5, 11)], dataset[(5, 11)], dataset[(5, 12)]
    assert torch.equal(first['inputs'], again['inputs'])
    assert not torch.equal(first['inputs'], other['inputs'])
    mean = torch.from_numpy(all_latents(cache)[5].astype(np.float32))
    assert not torch.equal(first['inputs'], mean)


def test_dataset_errors(cache, tmp_path):
    with pytest.raises(FileNotFoundError, match='is not a latent cache. Make one with '
                                                'python tools/extract_latents.py'):
        LatentDataset(str(tmp_path))
    mean_only = str(tmp_path / 'mean_only')
    shutil.copytree(cache, mean_only)
    manifest = json.loads(Path(mean_only, 'manifest.json').read_text())
    Path(mean_only, 'manifest.json').write_text(json.dumps(dict(manifest, store='mean')))
    with pytest.raises(ValueError, match='--store moments'):
        LatentDataset(mean_only, sample_posterior=True)
    Path(mean_only, 'manifest.json').write_text(json.dumps(dict(manifest,
                                                                status='incomplete')))
    with pytest.raises(ValueError, match='did not finish'):
        LatentDataset(mean_only)


# --------------------------------------------------------------------- LatentPreprocessor
def test_preprocessor_normalises_with_the_cache_statistics(cache):
    preprocessor = LatentPreprocessor(cache=cache)
    batch = [LatentDataset(cache)[i]['inputs'] for i in range(64)]
    out = preprocessor(dict(inputs=batch))['inputs']
    values = out.transpose(0, 1).flatten(1)
    np.testing.assert_allclose(values.mean(1).numpy(), 0, atol=1e-5)
    np.testing.assert_allclose(values.std(1, unbiased=False).numpy(), 1, rtol=1e-5)
    raw = torch.stack(batch)
    torch.testing.assert_close(preprocessor.denormalize(out), raw, rtol=0, atol=1e-6)


class Generator(nn.Module):
    def __init__(self, **preprocessor):
        super().__init__()
        self.data_preprocessor = LatentPreprocessor(**preprocessor)


def test_statistics_travel_in_checkpoints_and_mismatches_are_refused(cache, tmp_path):
    trained = Generator(cache=cache)
    state = trained.state_dict()
    assert set(state) == {'data_preprocessor.mean', 'data_preprocessor.std',
                          'data_preprocessor.fingerprint'}
    # Sampling elsewhere: no cache on disk, the checkpoint brings the statistics.
    fresh = Generator(cache=str(tmp_path / 'gone'), num_channels=4)
    z = torch.randn(2, 4, 4, 4)
    with pytest.raises(ValueError, match='has no latent statistics yet'):
        fresh.data_preprocessor.denormalize(z)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.data_preprocessor.denormalize(z),
                       trained.data_preprocessor.denormalize(z))
    assert fresh.data_preprocessor.fingerprint_hex == load_checkpoint(
        Path(cache, 'stats.pth'))['fingerprint']

    other = dict(state)
    other['data_preprocessor.fingerprint'] = torch.full((32, ), 7, dtype=torch.uint8)
    with pytest.raises(ValueError, match=r'tokenizer 070707070707\.\.\., but .*stats\.pth was '
                                         'made with tokenizer'):
        Generator(cache=cache).load_state_dict(other)
    with pytest.raises(ValueError, match='belongs to tokenizer 0a0a0a0a0a0a.*the cache'):
        trained.data_preprocessor.check_fingerprint('0a' * 32, 'another cache')


def test_preprocessor_scalar_and_bad_arguments(tmp_path):
    scaled = LatentPreprocessor(scale=0.5)
    z = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(scaled.normalize(z), z * 0.5)
    with pytest.raises(ValueError, match='needs the latent statistics'):
        LatentPreprocessor(cache=str(tmp_path))
    with pytest.raises(ValueError, match='positive scalar scale'):
        LatentPreprocessor(scale=0)
