import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from tests.conftest import tiny_vitok_config
from vitok_mm.registry import MODELS

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted(str(p.relative_to(REPO)) for p in (REPO / 'configs').glob('vitok*/*.py'))


@pytest.mark.parametrize('cfg', [
    dict(type='PatchEmbed', embed_dim=16, patch_size=4),
    dict(type='PatchEmbed', embed_dim=16, patch_size=4, tubelet_size=2),
    dict(type='PixelHead', embed_dim=16, patch_size=4),
    dict(type='ViTEncoder', patch_size=4, width=48, depth=1, num_heads=2),
    dict(type='ViTDecoder', latent_channels=4, patch_size=4, width=48, depth=1, num_heads=2),
    dict(type='GaussianBottleneck', in_channels=48, latent_channels=4),
    dict(type='DeterministicBottleneck', in_channels=48, latent_channels=4),
    tiny_vitok_config(),
], ids=lambda cfg: cfg['type'])
def test_every_component_builds_by_type_name(cfg):
    module = MODELS.build(cfg)
    assert type(module).__name__ == cfg['type']


def test_all_vitok_components_are_in_our_registry():
    names = set(MODELS.module_dict)
    assert {'ViTok', 'ViTEncoder', 'ViTDecoder', 'PatchEmbed', 'PixelHead',
            'GaussianBottleneck', 'DeterministicBottleneck'} <= names


def test_configs_exist_and_use_our_scope():
    expected = {'configs/vitok/s-b_16_256p.py', 'configs/vitok/s-l_16_256p.py',
                'configs/vitok/s-b_16_512p.py', 'configs/vitok_video/s-b_4x8_128p_16f.py',
                'configs/vitok_video/s-b_8x8_128p_16f.py',
                'configs/vitok_video/s-b_4x16_128p_16f.py'}
    assert expected <= set(CONFIGS)
    for path in CONFIGS:
        assert Config.fromfile(REPO / path).default_scope == 'vitok_mm', path


def test_inherited_config_replaces_only_the_decoder():
    sb = Config.fromfile(REPO / 'configs/vitok/s-b_16_256p.py')
    sl = Config.fromfile(REPO / 'configs/vitok/s-l_16_256p.py')
    assert sl.model.encoder == sb.model.encoder
    assert sl.model.bottleneck == sb.model.bottleneck
    assert (sl.model.decoder.width, sl.model.decoder.depth, sl.model.decoder.num_heads) == (
        1152, 24, 16)


def _run(code: str, cwd: Path, extra_path: str = '') -> str:
    env_path = [extra_path] if extra_path else []
    result = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
        env={'PYTHONPATH': ':'.join(env_path + [str(REPO)]), 'PATH': '/usr/bin:/bin'},
        timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_configs_build_in_a_fresh_process_through_lazy_locations():
    """Only the registry is imported: `locations` must pull in vitok_mm.models."""
    out = _run(f"""
        import torch
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from vitok_mm.registry import MODELS
        for path in {CONFIGS!r}:
            cfg = Config.fromfile(path)
            init_default_scope(cfg.default_scope)
            with torch.device('meta'):
                model = MODELS.build(cfg.model)
            print(type(model).__name__, path)
    """, cwd=REPO)
    stage2 = [path for path in CONFIGS if 'stage2' in path]
    assert out.count('ViTokGAN ') == len(stage2) == 3
    assert out.count('ViTok ') == len(CONFIGS) - len(stage2)


def test_plugin_package_registers_a_bottleneck_pulled_in_by_custom_imports(tmp_path):
    plugin = tmp_path / 'my_tokenizer_plugin'
    plugin.mkdir()
    (plugin / '__init__.py').write_text(textwrap.dedent("""
        import torch
        from torch import nn
        from vitok_mm.models.bottlenecks import DeterministicLatent
        from vitok_mm.registry import MODELS

        @MODELS.register_module()
        class TanhBottleneck(nn.Module):
            def __init__(self, in_channels, latent_channels):
                super().__init__()
                self.latent_channels = latent_channels
                self.proj = nn.Linear(in_channels, latent_channels)

            def forward(self, tokens, grid):
                z = torch.tanh(self.proj(tokens)).transpose(1, 2).unflatten(2, tuple(grid))
                return DeterministicLatent(z)
    """))
    config = tmp_path / 'tanh_s-b_16.py'
    config.write_text(textwrap.dedent(f"""
        _base_ = ['{REPO}/configs/vitok/s-b_16_256p.py']
        custom_imports = dict(imports=['my_tokenizer_plugin'], allow_failed_imports=False)
        model = dict(
            bottleneck=dict(_delete_=True, type='TanhBottleneck', latent_channels=8),
            encoder=dict(width=48, depth=1, num_heads=2),
            decoder=dict(width=48, depth=1, num_heads=2))
    """))
    out = _run(f"""
        import torch
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from vitok_mm.registry import MODELS
        cfg = Config.fromfile({str(config)!r})
        init_default_scope(cfg.default_scope)
        model = MODELS.build(cfg.model).eval()
        z = model.encode(torch.rand(1, 3, 32, 32) * 2 - 1).mode()
        print(type(model.bottleneck).__name__, tuple(z.shape), float(z.abs().max()) <= 1)
    """, cwd=tmp_path, extra_path=str(tmp_path))
    assert out.split() == ['TanhBottleneck', '(1,', '8,', '2,', '2)', 'True']


def test_register_all_modules_sets_default_scope():
    from mmengine.registry import DefaultScope

    from vitok_mm.utils import register_all_modules
    register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'vitok_mm'
    assert torch.is_tensor(MODELS.build(tiny_vitok_config())(torch.rand(1, 3, 16, 16)))


def test_joint_image_video_config_mixes_both_sources():
    cfg = Config.fromfile(REPO / 'configs/vitok_video/s-b_4x8_128p_16f_joint.py')
    mixed = cfg.train_dataloader.dataset
    assert mixed.type == 'WeightedMixDataset' and mixed.weights == [3, 1]
    assert [d['type'] for d in mixed.datasets] == ['UCF101', 'ImageNet']
    assert mixed.datasets[0]['pipeline'][0]['type'] == 'LoadVideo'
    assert {'type': 'ImageToVideo', 'num_frames': 16} in mixed.datasets[1]['pipeline']
