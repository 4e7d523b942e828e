"""vitok_mm.apis.inference: a config, a model with its weights, reconstructions of files."""
from pathlib import Path

import pytest
import torch

from vitok_mm.apis import (
    build_inference_model,
    load_inference_config,
    load_view,
    reconstruct_images,
)
from vitok_mm.datasets import CorruptSampleError
from vitok_mm.utils import CheckpointError, load_checkpoint, state_dict_of
from vitok_mm.workflows.samples import bundled_photos

DATA = Path(__file__).resolve().parents[1] / 'data'
MICRO_CONFIG = str(DATA / 'micro_vitok.py')
MICRO_CHECKPOINT = str(DATA / 'micro_vitok_iter_2.pth')


def test_load_inference_config_merges_options_and_names_a_missing_file(tmp_path):
    cfg = load_inference_config(MICRO_CONFIG)
    assert cfg.model.decoder.depth == 2 and cfg.input_shape == (3, 16, 16)
    cfg = load_inference_config(MICRO_CONFIG, {'model.decoder.depth': 3,
                                               'model.bottleneck.latent_channels': 8})
    assert cfg.model.decoder.depth == 3 and cfg.model.bottleneck.latent_channels == 8
    assert cfg.model.encoder.depth == 2  # the rest as the file says
    missing = tmp_path / 'nope.py'
    with pytest.raises(FileNotFoundError,
                       match=f'^config {missing} does not exist; give the path of a config'):
        load_inference_config(str(missing))


def test_build_inference_model_loads_the_checkpoint_strictly():
    cfg = load_inference_config(MICRO_CONFIG)
    model = build_inference_model(cfg, MICRO_CHECKPOINT)
    assert not model.training
    expected = state_dict_of(load_checkpoint(MICRO_CHECKPOINT))
    own = model.state_dict()
    assert set(own) == set(expected)
    for key, value in expected.items():
        assert torch.equal(own[key], value), key
    deeper = load_inference_config(MICRO_CONFIG, {'model.decoder.depth': 3})
    with pytest.raises(CheckpointError, match='does not fit ViTok: missing keys decoder'):
        build_inference_model(deeper, MICRO_CHECKPOINT)
    with pytest.raises(FileNotFoundError, match='missing.pth does not exist'):
        build_inference_model(cfg, str(DATA / 'missing.pth'))


def test_reconstruct_images_gives_the_models_reconstruction_of_the_views(tmp_path):
    model = build_inference_model(load_inference_config(MICRO_CONFIG), MICRO_CHECKPOINT)
    photos = bundled_photos(['coffee', 'camera'])  # camera is grayscale: 3 channels all the same
    batch, recon = reconstruct_images(model, list(photos.values()), 16)
    assert batch.shape == recon.shape == (2, 3, 16, 16)
    views = torch.stack([load_view(path, 16) for path in photos.values()])
    assert views.dtype == torch.uint8 and views.shape == (2, 3, 16, 16)
    torch.testing.assert_close(batch, views.float() / 127.5 - 1)
    with torch.no_grad():
        torch.testing.assert_close(recon, model.reconstruct(batch).clamp(-1, 1))
    assert torch.equal(batch[1, 0], batch[1, 2])
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not an image')
    with pytest.raises(CorruptSampleError, match=f'cannot decode {broken}'):
        reconstruct_images(model, [str(broken)], 16)
