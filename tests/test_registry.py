import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, get_priority

from tests.conftest import tiny_vitok_config
from vitok_mm.registry import MODELS

REPO = Path(__file__).resolve().parents[1]
#: Every runnable config: the paper's, the video ones and the quick starts (not _base_,
#: not the sweep definitions of configs/sweeps).
#: Our models' configs (configs/baselines wrap other libraries' VAEs and need their
#: weights: tests/test_apis/test_baselines.py builds them).
CONFIGS = sorted(str(p.relative_to(REPO)) for p in (REPO / 'configs').glob('*/*.py')
                 if p.parent.name not in ('_base_', 'sweeps', 'baselines'))
#: Configs that train: all but those of released weights (configs/vitok_v2: a model and
#: the runtime, no data or schedule; tests/test_apis/test_vitok_v2.py checks them).
TRAINING_CONFIGS = [p for p in CONFIGS if not p.startswith('configs/vitok_v2/')]


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
    generators = [path for path in CONFIGS if 'dit' in Path(path).name]
    assert out.count('ViTokGAN ') == len(stage2) == 4
    assert out.count('LatentDiffusion ') == len(generators) == 6
    assert out.count('ViTok ') == len(CONFIGS) - len(stage2) - len(generators)


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


# --- how the configs inherit ---------------------------------------------------------

STAGE2 = {  # stage-2 config -> (its stage-1 config, what it is expected to resolve to)
    'configs/vitok/s-b_16_256p_stage2.py': ('configs/vitok/s-b_16_256p.py', dict(
        generator=(1e-4, (0.9, 0.95), 1e-4), discriminator=(2e-5, (0.9, 0.95), 1e-4),
        discriminator_type='StyleGANDiscriminator', max_iters=50_000,
        generator_schedule='CosineAnnealingLR', auto_scale_lr=True)),
    'configs/vitok/s-l_16_256p_stage2.py': ('configs/vitok/s-l_16_256p.py', dict(
        generator=(1e-4, (0.9, 0.95), 1e-4), discriminator=(2e-5, (0.9, 0.95), 1e-4),
        discriminator_type='StyleGANDiscriminator', max_iters=50_000,
        generator_schedule='CosineAnnealingLR', auto_scale_lr=True)),
    'configs/vitok_video/s-b_4x8_128p_16f_stage2.py': (
        'configs/vitok_video/s-b_4x8_128p_16f.py', dict(
            generator=(3e-4, (0.9, 0.95), 1e-4), discriminator=(6e-5, (0.9, 0.95), 1e-4),
            discriminator_type='PatchGANDiscriminator', max_iters=50_000,
            generator_schedule='CosineAnnealingLR', auto_scale_lr=True)),
    'configs/quickstart/vitok_tiny_64p_stage2.py': ('configs/quickstart/vitok_tiny_64p.py', dict(
        generator=(1e-4, (0.9, 0.95), 1e-4), discriminator=(4e-4, (0.5, 0.9), 0.0),
        discriminator_type='StyleGANDiscriminator', max_iters=300,
        generator_schedule='ConstantLR', auto_scale_lr=False)),
}
GAN_KEYS = {'type', 'trainable', 'discriminator', 'adversarial_loss', 'sample_posterior',
            'discriminator_steps', 'update_order'}


def test_every_stage2_config_is_listed():
    assert sorted(STAGE2) == [path for path in CONFIGS if 'stage2' in path]


@pytest.mark.parametrize('path', sorted(STAGE2))
def test_stage2_config_resolves_to_its_recipe(path):
    cfg = Config.fromfile(REPO / path)
    expected = STAGE2[path][1]
    assert cfg.optim_wrapper.constructor == 'GANOptimWrapperConstructor'
    for part in ('generator', 'discriminator'):
        wrapper = cfg.optim_wrapper[part]
        assert (wrapper.type, wrapper.dtype, wrapper.clip_grad) == (
            'GuardedOptimWrapper', 'bfloat16', dict(max_norm=1.0))
        optimizer = wrapper.optimizer
        assert optimizer.type == 'AdamW'
        assert (optimizer.lr, tuple(optimizer.betas), optimizer.weight_decay) == expected[part]
    assert cfg.model.type == 'ViTokGAN' and cfg.model.trainable == ('decoder', )
    assert cfg.model.discriminator.type == expected['discriminator_type']
    assert cfg.model.adversarial_loss.loss_type == 'hinge'
    assert cfg.max_iters == cfg.train_cfg.max_iters == expected['max_iters']
    assert cfg.param_scheduler.generator[0].type == expected['generator_schedule']
    assert cfg.param_scheduler.discriminator[0].type == 'ConstantLR'
    assert cfg.model_wrapper_cfg.type == 'MMSeparateDistributedDataParallel'
    assert ('auto_scale_lr' in cfg) == expected['auto_scale_lr']


@pytest.mark.parametrize('path', sorted(STAGE2))
def test_stage2_config_fine_tunes_its_stage1_tokenizer_on_its_data(path):
    """Stage 2 loads stage 1's weights, so the tokenizer and the data must be stage 1's."""
    stage2 = Config.fromfile(REPO / path)
    stage1 = Config.fromfile(REPO / STAGE2[path][0])

    def tokenizer(cfg):
        # Stage 2 may change its losses and a pixel head's fixed cross-fade (a buffer
        # that no checkpoint holds); every weight must be stage 1's.
        model = {k: v for k, v in cfg.model.to_dict().items()
                 if k not in GAN_KEYS and k != 'losses'}
        model['decoder'].get('pixel_head', {}).pop('window_power', None)
        return model

    assert tokenizer(stage2) == tokenizer(stage1)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'input_shape', 'randomness'):
        assert stage2[key] == stage1[key], key
    assert stage2.load_from.endswith(f'/iter_{stage1.train_cfg.max_iters}.pth')


def _schedule_ends(cfg: Config) -> list:
    schedules = cfg.param_scheduler
    if isinstance(schedules, dict):  # one list per optimizer
        return [parts[-1]['end'] for parts in schedules.values()]
    return [schedules[-1]['end']]


@pytest.mark.parametrize('path', TRAINING_CONFIGS)
def test_lr_schedules_end_where_training_ends(path):
    """max_iters is filled in when a base is read: a child that changes it must set
    everything that used it again."""
    cfg = Config.fromfile(REPO / path)
    assert cfg.train_cfg.max_iters == cfg.max_iters
    if cfg.param_scheduler:  # DiT's schedule is a constant lr: no schedulers
        assert set(_schedule_ends(cfg)) == {cfg.max_iters}


@pytest.mark.parametrize('path', [p for p in TRAINING_CONFIGS
                                  if p.startswith('configs/vitok')])
def test_patch_tubelet_and_input_sizes_are_those_in_the_config_name(path):
    """s-b_16_256p: 16x16 patches of 256x256 images; s-b_4x8_128p_16f: 4x8x8 tubelets of
    16 frames at 128x128. The model base sets none of them."""
    name = Path(path).stem
    sizes = re.search(r'_(\d+)(?:x(\d+))?_(\d+)p(?:_(\d+)f)?', name).groups()
    cfg = Config.fromfile(REPO / path)
    if sizes[1] is None:
        assert (cfg.model.patch_size, cfg.model.tubelet_size) == (int(sizes[0]), None)
    else:
        assert (cfg.model.tubelet_size, cfg.model.patch_size) == (int(sizes[0]), int(sizes[1]))
    frames = (int(sizes[3]), ) if sizes[3] else ()
    assert tuple(cfg.input_shape) == (3, *frames, int(sizes[2]), int(sizes[2]))
    for base in ('vitok_s-b.py', 'vitok_tiny.py'):
        model = Config.fromfile(REPO / 'configs/_base_/models' / base).model
        assert 'patch_size' not in model and 'tubelet_size' not in model


class HookList:
    """MMEngine's own hook registration (the code Runner and FlexibleRunner run), on an
    object that holds nothing but the hooks."""

    register_hook = Runner.register_hook
    register_default_hooks = Runner.register_default_hooks
    register_custom_hooks = Runner.register_custom_hooks
    register_hooks = Runner.register_hooks

    def __init__(self, cfg: Config):
        self._hooks = []
        init_default_scope(cfg.default_scope)
        self.register_hooks(cfg.get('default_hooks'), cfg.get('custom_hooks'))


#: Hooks of every config in the order MMEngine calls them, with their priorities: the
#: project hooks sit after MMEngine's hook of the same priority, as when they were
#: custom_hooks.
HOOKS = [('RuntimeInfoHook', 10), ('IterTimerHook', 50), ('DistSamplerSeedHook', 50),
         ('LoggerHook', 60), ('ProgressBarHook', 60), ('ParamSchedulerHook', 70),
         ('ReconstructionVisualizationHook', 70), ('CheckpointHook', 90),
         ('RandomStateHook', 90)]


@pytest.mark.parametrize('path', CONFIGS)
def test_every_config_ends_with_the_same_hooks_in_the_same_order(path):
    hooks = HookList(Config.fromfile(REPO / path))._hooks
    got = [(type(hook).__name__, get_priority(hook.priority)) for hook in hooks]
    expected = list(HOOKS)
    if path.endswith('_ema.py'):
        expected.insert(1, ('EMAHook', 49))
    if 'dit' in Path(path).name:  # generators: EMA, their grids, the cache check
        expected[expected.index(('ReconstructionVisualizationHook', 70))] = (
            'GenerationVisualizationHook', 70)
        expected[1:1] = [('LatentCacheCheckHook', 10), ('EMAHook', 49)]
    assert got == expected
    assert type(hooks[-2]).__module__.startswith('vitok_mm.')  # our CheckpointHook


@pytest.mark.parametrize('path, logger, checkpoint, visualization', [
    ('configs/vitok/s-b_16_256p.py', 50, (5000, 3), (5000, 8)),
    ('configs/quickstart/vitok_tiny_64p.py', 500, (550, 2), (1100, 4)),
    ('configs/quickstart/vitok_tiny_64p_stage2.py', 50, (250, 2), (300, 4)),
    ('configs/quickstart/vitok_tiny_video.py', 250, (500, 2), (750, 3)),
    ('configs/quickstart/vitok_tiny_video_frames.py', 250, (500, 2), (750, 3)),
])
def test_configs_set_hook_options_by_key(path, logger, checkpoint, visualization):
    hooks = {type(hook).__name__: hook for hook in HookList(Config.fromfile(REPO / path))._hooks}
    assert hooks['LoggerHook'].interval == logger
    assert (hooks['CheckpointHook'].interval, hooks['CheckpointHook'].max_keep_ckpts,
            hooks['CheckpointHook'].by_epoch) == (*checkpoint, False)
    visualizer = hooks['ReconstructionVisualizationHook']
    assert (visualizer.interval, visualizer.num_images) == visualization
