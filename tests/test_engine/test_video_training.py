"""Video tokenizers trained through tools/train.py on a tiny UCF-101-style tree: stage 1
with a GIF of reconstructions, and stage 2 with the 3D discriminator."""
import glob
import os
import textwrap

from PIL import Image

from tests.test_datasets.test_video_datasets import ucf
from tests.test_engine.test_training import REPO, load_state, run_train

__all__ = ['ucf']  # the fixture


def video_config(folder, ucf_root, base='configs/quickstart/vitok_tiny_video.py', extra=''):
    path = folder / 'tiny_video.py'
    path.write_text(textwrap.dedent(f'''
        _base_ = ['{REPO}/{base}']
        model = dict(encoder=dict(width=32, depth=1, num_heads=1),
                     decoder=dict(width=32, depth=1, num_heads=1))
        train_pipeline = [
            dict(type='LoadVideo', num_frames=8, frame_stride=2, short_clip='loop'),
            dict(type='RandomResizedCrop', size=32, scale=(0.5, 1.0)),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]
        test_pipeline = [
            dict(type='LoadVideo', num_frames=8, frame_stride=2, random_start=False,
                 short_clip='loop'),
            dict(type='ResizeShortSide', size=32), dict(type='CenterCrop', crop_size=32),
            dict(type='PackInputs'),
        ]
        train_dataloader = dict(batch_size=2, dataset=dict(data_root='{ucf_root}',
                                                           pipeline=train_pipeline))
        val_dataloader = dict(dataset=dict(data_root='{ucf_root}', pipeline=test_pipeline,
                                           bad_sample='skip'))
        test_dataloader = val_dataloader
        train_cfg = dict(max_iters=4, val_interval=4)
        default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2),
                             visualization=dict(interval=4, num_images=2))
    ''') + textwrap.dedent(extra))
    return str(path)


def test_video_tokenizer_trains_validates_and_writes_a_gif(tmp_path, ucf):
    config = video_config(tmp_path, ucf)
    result = run_train(config, str(tmp_path / 'run'))
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'recon/psnr' in log and 'Iter(train) [4/4]' in log
    state = load_state(str(tmp_path / 'run' / 'iter_4.pth'))['state_dict']
    assert state['encoder.patch_embed.proj.weight'].shape[1] == 3 * 4 * 8 * 8  # 4x8x8 tubelets
    gifs = glob.glob(str(tmp_path / 'run' / '*' / 'val_reconstructions_4.gif'))
    assert len(gifs) == 1 and Image.open(gifs[0]).n_frames == 8


def test_video_stage2_with_a_3d_patch_discriminator(tmp_path, ucf):
    stage1_dir = tmp_path / 's1'
    stage1_dir.mkdir()
    assert run_train(video_config(stage1_dir, ucf), str(tmp_path / 'stage1')).returncode == 0
    stage2_dir = tmp_path / 's2'
    stage2_dir.mkdir()
    base = video_config(stage2_dir, ucf)
    path = stage2_dir / 'stage2.py'
    path.write_text(textwrap.dedent(f"""
        _base_ = ['{base}']
        load_from = '{tmp_path / 'stage1' / 'iter_4.pth'}'
        model = dict(type='ViTokGAN', discriminator=dict(
            type='PatchGANDiscriminator', dims=3, base_channels=8, num_layers=2,
            norm_type='group'),
            adversarial_loss=dict(generator_start=1, warmup_iters=2))
        optim_wrapper = dict(
            _delete_=True, constructor='GANOptimWrapperConstructor',
            generator=dict(type='GuardedOptimWrapper', dtype='bfloat16',
                           optimizer=dict(type='AdamW', lr=1e-3)),
            discriminator=dict(type='GuardedOptimWrapper', dtype='bfloat16',
                               optimizer=dict(type='AdamW', lr=1e-3)))
        param_scheduler = []
    """))
    result = run_train(str(path), str(tmp_path / 'stage2'))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'loss_gan' in result.stdout + result.stderr
    first = load_state(str(tmp_path / 'stage1' / 'iter_4.pth'))['state_dict']
    second = load_state(str(tmp_path / 'stage2' / 'iter_4.pth'))['state_dict']
    assert all(first[k].equal(second[k]) for k in first if k.startswith('encoder.'))
    assert any(k.startswith('discriminator.layers') for k in second)
    assert os.path.isfile(tmp_path / 'stage2' / 'last_checkpoint')
