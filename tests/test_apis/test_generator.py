"""vitok_mm.apis.Generator on a tiny DiT trained on the micro fixture tokenizer's latents
(the fixtures of test_generation.py): samples equal tools/sample_dit.py's, do not depend on
the batch, survive save_pretrained / from_pretrained (also from a loopback Hub), and wrong
input is one line; `vitok-mm sample` writes the same PNGs and a grid."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from tests.test_apis import test_generation
from tests.test_apis.test_generation import CHECKPOINT, TOKENIZER
from vitok_mm.apis import Generator, Tokenizer
from vitok_mm.cli import main
from vitok_mm.workflows.sampling import sample_to_folder

# The tiny trained DiT and its latent cache, shared with test_generation.py.
cache, trained = test_generation.cache, test_generation.trained
SAMPLING = dict(cfg_scale=2.0, solver='euler', steps=3, seed=5, progress=False)


def arrays(images) -> np.ndarray:
    return np.stack([np.asarray(image) for image in images])


def test_sample_equals_the_sample_tool_and_does_not_depend_on_the_batch(trained, tmp_path):
    config, checkpoint = trained
    gen = Generator.from_pretrained(config, checkpoint)  # the tokenizer its config records
    assert gen.tokenizer.fingerprint == gen.model.data_preprocessor.fingerprint_hex
    images = gen.sample([1, 3], per_class=2, batch_size=2, **SAMPLING)
    assert len(images) == 4 and all(isinstance(i, Image.Image) for i in images)
    assert images[0].size == (16, 16)
    assert gen.labels([1, 3], 2) == [1, 3, 1, 3]
    folder = sample_to_folder(config, checkpoint, TOKENIZER, CHECKPOINT, str(tmp_path / 'a'),
                              num_samples=4, classes=[1, 3], class_balanced=True,
                              cfg_scale=2.0, solver='euler', num_steps=3, seed=5,
                              batch_size=3, progress=False)
    tool = [np.asarray(Image.open(tmp_path / 'a' / 'images' / f'{i:06d}.png'))
            for i in range(4)]
    assert np.array_equal(arrays(images), np.stack(tool))
    assert folder['made'] == 4
    at_five = gen.sample([1, 3], per_class=2, batch_size=5, **SAMPLING)
    assert np.array_equal(arrays(images), arrays(at_five))
    # Sample i depends on (seed, i): another seed changes every sample.
    other = arrays(gen.sample([1, 3], per_class=2, **dict(SAMPLING, seed=6)))
    assert all(not np.array_equal(a, b) for a, b in zip(arrays(images), other))


def test_save_pretrained_then_from_pretrained_is_the_same_generator(trained, tmp_path):
    gen = Generator.from_pretrained(*trained)
    info = gen.save_pretrained(str(tmp_path / 'saved'))
    saved = tmp_path / 'saved'
    assert {p.name for p in saved.iterdir()} == {'config.py', 'model.safetensors',
                                                  'vitok.json', 'README.md', 'tokenizer'}
    assert info['kind'] == 'generator' and info['tokenizer'] == {'folder': 'tokenizer'}
    assert info['latent_shape'] == [4, 4, 4] and info['num_classes'] == 4
    np.testing.assert_allclose(info['latent_mean'],
                               gen.model.data_preprocessor.mean.tolist(), atol=1e-6)
    assert info['tokenizer_fingerprint'] == gen.tokenizer.fingerprint
    loaded = Generator.from_pretrained(str(saved))
    state, again = gen.model.state_dict(), loaded.model.state_dict()
    assert state.keys() == again.keys()
    assert all(torch.equal(state[k], again[k]) for k in state)
    assert loaded.tokenizer.fingerprint == gen.tokenizer.fingerprint
    assert np.array_equal(arrays(gen.sample([0, 2], **SAMPLING)),
                          arrays(loaded.sample([0, 2], **SAMPLING)))
    with pytest.raises(ValueError, match=r'holds a saved generator, not a tokenizer: load it '
                                         r'with vitok_mm.apis.Generator.from_pretrained'):
        Tokenizer.from_pretrained(str(saved))
    with pytest.raises(ValueError, match=r'holds a saved tokenizer, not a generator'):
        Generator.from_pretrained(str(saved / 'tokenizer'))


def test_a_saved_generator_loads_from_the_hub_with_its_tokenizer(trained, tmp_path,
                                                                 loopback_hub):
    gen = Generator.from_pretrained(*trained)
    saved = tmp_path / 'saved'
    gen.save_pretrained(str(saved))
    for path in saved.rglob('*'):
        if path.is_file():
            loopback_hub.add_repo_file('someone/micro-dit', str(path.relative_to(saved)),
                                       path.read_bytes())
    loaded = Generator.from_pretrained('hf://someone/micro-dit')
    assert loaded.tokenizer.fingerprint == gen.tokenizer.fingerprint
    assert np.array_equal(arrays(gen.sample([1], **SAMPLING)),
                          arrays(loaded.sample([1], **SAMPLING)))


def test_wrong_input_is_one_clear_error(trained, tmp_path):
    config, checkpoint = trained
    gen = Generator.from_pretrained(config, checkpoint)
    with pytest.raises(ValueError, match=r'class id 4 is out of range: the model has 4 '
                                         r'classes \(0\.\.3\)'):
        gen.sample([0, 4], progress=False)
    with pytest.raises(ValueError, match=r'guidance scale \(cfg_scale, --cfg-scale\) must be '
                                         r'a finite number >= 0'):
        gen.sample([0], cfg_scale=-0.5, progress=False)
    with pytest.raises(ValueError, match=r"unknown model name 'vitok-dit-tiny-46p'.*Did you "
                                         r'mean vitok-dit-tiny-64p'):
        Generator.from_pretrained('vitok-dit-tiny-46p')
    with pytest.raises(ValueError, match=r'is a ViTok config, not a generator'):
        Generator.from_pretrained(TOKENIZER, CHECKPOINT)
    with pytest.raises(ValueError, match=r'is a generator \(LatentDiffusion\), not a '
                                         r'tokenizer'):
        Tokenizer.from_pretrained(config, checkpoint)
    # The same weights in another file: another fingerprint, refused naming both.
    other = tmp_path / 'other.pth'
    torch.save(torch.load(CHECKPOINT, weights_only=False), other)
    foreign = Tokenizer.from_pretrained(TOKENIZER, str(other))
    own = gen.model.data_preprocessor.fingerprint_hex
    with pytest.raises(ValueError) as error:
        Generator.from_pretrained(config, checkpoint, tokenizer=foreign)
    message = str(error.value)
    assert f'{other} belongs to tokenizer {foreign.fingerprint[:12]}...' in message
    assert f'trained on the latents of tokenizer {own[:12]}...' in message


def test_the_cli_writes_the_samples_and_a_grid_a_row_per_class(trained, tmp_path, capsys):
    config, checkpoint = trained
    out = tmp_path / 'cli'
    code = main(['sample', config, checkpoint, '--classes', '1', '3', '--per-class', '2',
                 '--cfg-scale', '2', '--solver', 'euler', '--steps', '3', '--seed', '5',
                 '--out', str(out), '--grid', '--no-progress'])
    assert code == 0
    assert f'4 sample(s) of class(es) 1 3 in {out}' in capsys.readouterr().out
    gen = Generator.from_pretrained(config, checkpoint)
    expected = arrays(gen.sample([1, 3], per_class=2, **SAMPLING))
    written = np.stack([np.asarray(Image.open(out / f'{i:06d}.png')) for i in range(4)])
    assert np.array_equal(written, expected)
    assert json.loads((out / 'labels.json').read_text())['labels'] == [1, 3, 1, 3]
    grid = np.asarray(Image.open(out / 'grid.png'))
    assert grid.shape == (2 * 256, 2 * 256, 3)  # 16-pixel samples shown 16x larger
    # Row 0 is class 1 (samples 0 and 2), row 1 class 3 (samples 1 and 3).
    assert np.array_equal(grid[::16, ::16][:16, 16:], expected[2])
    assert np.array_equal(grid[::16, ::16][16:, :16], expected[1])


def test_a_loaded_config_works_as_well_as_its_file(trained):
    from mmengine.config import Config
    config, checkpoint = trained
    from_file = Generator.from_pretrained(config, checkpoint)
    from_object = Generator.from_pretrained(Config(Config.fromfile(config).to_dict()),
                                            checkpoint)  # no file name to reread
    assert np.array_equal(arrays(from_file.sample([2], **SAMPLING)),
                          arrays(from_object.sample([2], **SAMPLING)))


def test_the_documented_example_runs_on_the_micro_generator(trained, tmp_path, monkeypatch):
    """The README's and docs/generation.md's Generator example (marked 'needs the quick
    start'), run as written with this module's trained micro DiT in place of
    vitok-dit-tiny-64p: the calls and arguments it shows exist and do what it says."""
    from tests.test_docs import EXAMPLES
    config, checkpoint = trained
    name = "Generator.from_pretrained('vitok-dit-tiny-64p')"
    examples = [(where, code) for where, mark, code in EXAMPLES
                if mark == 'needs the quick start' and name in code]
    assert {where.split(':')[0] for where, _ in examples} >= {'README.md',
                                                              'docs/generation.md'}
    for where, code in examples:
        folder = tmp_path / where.replace('/', '_').replace(':', '_')
        folder.mkdir()
        monkeypatch.chdir(folder)
        scope = {}
        exec(compile(code.replace(name, f'Generator.from_pretrained({config!r}, '
                                        f'{checkpoint!r})'), where, 'exec'), scope)
        images = scope['images']
        assert len(images) == 8 and all(isinstance(im, Image.Image) for im in images), where
        saved = Generator.from_pretrained('my-dit')
        assert np.array_equal(arrays(saved.sample([1], **SAMPLING)),
                              arrays(scope['gen'].sample([1], **SAMPLING))), where


def test_the_model_card_names_the_solver_with_its_options():
    from vitok_mm.apis.generator import _solver_label
    assert _solver_label(dict(type='Heun', num_steps=50)) == 'Heun-50'
    assert _solver_label(dict(type='EulerMaruyama', num_steps=100, diffusion_norm=8.0)) == \
        'EulerMaruyama-100 (diffusion_norm 8.0)'
