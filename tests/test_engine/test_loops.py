"""MultiTestLoop: several test sets in one run, each with its own evaluator."""
import textwrap
from pathlib import Path

import pytest
from mmengine.hooks import Hook

from vitok_mm.registry import HOOKS
from vitok_mm.workflows import build_runner, load_config
from vitok_mm.workflows.samples import build_sample_folders

REPO = Path(__file__).resolve().parents[2]


@HOOKS.register_module()
class RecordTestSets(Hook):
    """What hooks see of each set: the dataset size behind runner.test_dataloader."""
    seen = []

    def before_test_epoch(self, runner):
        RecordTestSets.seen.append(len(runner.test_dataloader.dataset))


@pytest.fixture(scope='module')
def samples(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp('samples')
    build_sample_folders(str(root))
    return str(root)


def test_two_sets_with_their_own_evaluators_and_a_missing_one(tmp_path, samples):
    config = tmp_path / 'cfg.py'
    config.write_text(textwrap.dedent(f"""
        _base_ = ['{REPO}/configs/quickstart/vitok_tiny_64p.py']
        model = dict(encoder=dict(width=32, depth=1, num_heads=1),
                     decoder=dict(width=32, depth=1, num_heads=1))
        test_dataloader = dict(dataset=dict(data_root='{samples}'))
        custom_hooks = [dict(type='RecordTestSets')]
        test_cfg = dict(type='MultiTestLoop', sets=dict(
            held_out=dict(),
            training_photos=dict(
                dataset=dict(type='ImageDataset', data_root='{samples}', data_prefix='train',
                             pipeline={{{{_base_.test_pipeline}}}}, test_mode=True),
                evaluator=[dict(type='ReconstructionMetric', prefix='photos')],
                batch_size=16),
            missing=dict(dataset=dict(type='ImageDataset', data_root='{tmp_path}/none',
                                      pipeline={{{{_base_.test_pipeline}}}}, test_mode=True))))
    """))
    cfg = load_config(str(config), work_dir=str(tmp_path / 'work'))
    RecordTestSets.seen.clear()
    runner = build_runner(cfg)
    metrics = runner.test()
    loop = runner.test_loop
    assert RecordTestSets.seen == [4, 16]  # hooks saw each set's own dataloader
    assert list(loop.results) == ['held_out', 'training_photos']
    assert loop.results['held_out']['num_samples'] == 4
    assert loop.results['training_photos']['num_samples'] == 16
    assert {'held_out/recon/psnr', 'held_out/recon/ssim', 'training_photos/photos/psnr',
            'training_photos/photos/ssim'} == set(metrics)
    assert metrics['held_out/recon/psnr'] != metrics['training_photos/photos/psnr']
    assert list(loop.skipped) == ['missing'] and 'does not exist' in loop.skipped['missing']


def test_bad_sets_are_refused(tmp_path, samples):
    from vitok_mm.engine import MultiTestLoop
    with pytest.raises(ValueError, match="test set 'a' must be a dict"):
        MultiTestLoop(runner=None, dataloader=dict(), evaluator=[], sets=dict(a=[1]))
