"""The model index (configs/*/metafile.yml): in step with the configs, names resolve in
Tokenizer.from_pretrained, weights are found locally or in torch hub's folder, and wrong
names or missing files are errors that say what to do (downloads:
tests/test_apis/test_hub_weights.py)."""
import os.path as osp
import textwrap
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from vitok_mm.apis import Tokenizer, find_model, list_models
from vitok_mm.apis.model_index import REPO_ROOT, model_index

REPO = Path(__file__).resolve().parents[2]


def test_every_tokenizer_config_has_one_entry_with_its_runs_checkpoint():
    models = model_index()
    assert Path(REPO_ROOT) == REPO
    by_config = {osp.relpath(e.config, REPO_ROOT): e for e in models.values()}
    configs = sorted(str(p.relative_to(REPO)) for folder in ('vitok', 'vitok_video', 'dit')
                     for p in (REPO / 'configs' / folder).glob('*.py'))
    assert configs and set(configs) <= set(by_config)
    for config in configs:
        entry = by_config[config]
        cfg = Config.fromfile(str(REPO / config))
        expected = f'work_dirs/{Path(config).stem}/iter_{cfg.train_cfg.max_iters}.pth'
        assert osp.relpath(entry.weights, REPO_ROOT) == expected, entry.name
    for entry in models.values():
        assert osp.isfile(entry.config), entry.name
    assert {'vitok-s-b_16_256p', 'vitok-video-s-b_4x8_128p_16f',
            'vitok-tiny-64p'} <= set(list_models())
    assert list_models('tiny') == ['vitok-dit-tiny-64p', 'vitok-tiny-64p',
                                   'vitok-tiny-64p-stage2', 'vitok-tiny-video']


def test_an_unknown_name_suggests_the_close_ones():
    with pytest.raises(ValueError, match=r"unknown model name 'vitok-s-b_16_256': .* Did you "
                                         r'mean vitok-s-b_16_256p'):
        Tokenizer.from_pretrained('vitok-s-b_16_256')


def test_a_missing_local_checkpoint_names_the_training_command():
    entry = find_model('vitok-s-b_16_512p')
    if osp.isfile(entry.weights):
        pytest.skip('the checkpoint exists here')
    with pytest.raises(FileNotFoundError, match=r'vitok-s-b_16_512p: checkpoint .*'
                                                r'iter_100000.pth does not exist. Train it '
                                                r'with `python tools/train.py '
                                                r'configs/vitok/s-b_16_512p.py`'):
        Tokenizer.from_pretrained('vitok-s-b_16_512p')


def write_index(root: Path, weights: str) -> None:
    (root / 'configs' / 'micro').mkdir(parents=True)
    (root / 'configs' / 'micro' / 'micro.py').write_text(
        (REPO / 'tests/data/micro_vitok.py').read_text())
    (root / 'configs' / 'micro' / 'metafile.yml').write_text(textwrap.dedent(f'''
        Models:
          - Name: micro
            Config: configs/micro/micro.py
            Weights: {weights}
    '''))


def test_url_weights_offline_are_looked_for_in_the_torch_hub_folder(tmp_path, monkeypatch):
    """Downloads are off in the tests: a URL's file is taken from torch hub's folder when
    it is there, and its absence names the URL, the folder and the switch
    (tests/test_apis/test_hub_weights.py downloads them from a loopback server)."""
    write_index(tmp_path, 'https://example.org/releases/micro_v2.pth')
    entry = model_index(str(tmp_path))['micro']
    hub = tmp_path / 'hub'
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(hub))
    expected = hub / 'checkpoints' / 'micro_v2.pth'
    with pytest.raises(FileNotFoundError) as error:
        entry.checkpoint()
    assert str(error.value) == (
        f'micro weights: micro_v2.pth not found (looked for {expected}) and downloads are off '
        '(VITOK_MM_OFFLINE=1). Unset VITOK_MM_OFFLINE to download it from '
        f'https://example.org/releases/micro_v2.pth, copy it into {expected.parent}, or give '
        'a checkpoint path.')
    expected.parent.mkdir(parents=True)
    expected.write_bytes((REPO / 'tests/data/micro_vitok_iter_2.pth').read_bytes())
    assert entry.checkpoint() == str(expected)
    tok = Tokenizer.from_pretrained(entry.config, entry.checkpoint())
    assert tok.encode(torch.zeros(3, 16, 16)).shape == (1, 4, 4, 4)


def test_a_name_in_two_metafiles_is_refused(tmp_path):
    write_index(tmp_path, 'work_dirs/micro/iter_2.pth')
    (tmp_path / 'configs' / 'other').mkdir()
    (tmp_path / 'configs' / 'other' / 'metafile.yml').write_text(
        'Models:\n  - Name: micro\n    Config: configs/micro/micro.py\n')
    with pytest.raises(ValueError, match=r'model name micro is in both .*micro/metafile.yml '
                                         r'and .*other/metafile.yml'):
        model_index(str(tmp_path))
