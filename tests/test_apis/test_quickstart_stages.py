"""Pieces of vitok_mm.workflows.quickstart(_video) that run without training (the whole quick
starts run in tests/test_tools/test_quickstart*.py)."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from vitok_mm.utils.table import format_table
from vitok_mm.workflows import QuickstartResult, results_table
from vitok_mm.workflows.quickstart import data_root_options, score, stage_summary
from vitok_mm.workflows.quickstart_video import frames_of


def test_data_root_options_point_every_split_at_the_data_and_let_options_win():
    options = data_root_options('data/x', {'train_dataloader.dataset.data_root': 'other',
                                           'train_cfg.max_iters': 4})
    assert options == {'train_dataloader.dataset.data_root': 'other',
                       'val_dataloader.dataset.data_root': 'data/x',
                       'test_dataloader.dataset.data_root': 'data/x',
                       'train_cfg.max_iters': 4}


def test_frames_of_puts_each_clips_frames_in_a_row():
    clips = torch.randn(2, 3, 4, 5, 6)
    frames = frames_of(clips)
    assert frames.shape == (8, 3, 5, 6)
    for clip in range(2):
        for t in range(4):
            assert torch.equal(frames[clip * 4 + t], clips[clip, :, t])


class Identity(torch.nn.Module):
    patch_size = 8

    def reconstruct(self, x):
        return x.clone()


class Shifted(Identity):
    """Two levels darker in red on the first image."""

    def reconstruct(self, x):
        out = x.clone()
        out[0, 0] -= 2 * 2 / 255  # [-1, 1] pixels: 2 levels of [0, 1] * 255
        return out


def test_score_of_a_perfect_reconstruction():
    views = torch.rand(5, 3, 16, 16) * 2 - 1
    scores, recon, images = score(Identity(), views, with_lpips=False, batch_size=2)
    assert torch.equal(recon, views)
    assert set(scores) == {'psnr', 'ssim', 'hf_energy_ratio', 'colour_shift',
                           'colour_shift_worst', 'blockiness', 'blockiness_worst'}
    assert scores['ssim'] == pytest.approx(1.0) and scores['hf_energy_ratio'] == pytest.approx(1.0)
    assert scores['psnr'] > 60 and scores['colour_shift'] == 0
    assert scores['blockiness'] == pytest.approx(1.0)
    assert images[0] == dict(colour_shift=[0.0, 0.0, 0.0], blockiness=1.0)


def test_score_reports_a_colour_shift_per_image_and_channel():
    views = (torch.rand(2, 3, 16, 16) * 0.8 + 0.1).mul(255).round().div(255) * 2 - 1
    scores, _, images = score(Shifted(), views, with_lpips=False)
    assert images[0]['colour_shift'] == [-2.0, 0.0, 0.0]
    assert images[1]['colour_shift'] == [0.0, 0.0, 0.0]
    assert scores['colour_shift_worst'] == pytest.approx(-2.0)
    assert scores['colour_shift'] == pytest.approx(2 / 6)


def _results(psnr):
    scores = dict(psnr=psnr, ssim=0.712345, hf_energy_ratio=0.81234, colour_shift=1.234,
                  colour_shift_worst=-3.21, blockiness=1.0512, blockiness_worst=1.1234)
    return dict(photos=dict(names=['a.png', 'b.jpg'], scores=scores),
                frames=dict(names=['clip#0'] * 3, scores=dict(scores, psnr=psnr - 1)))


def test_stage_summary_rounds_scores_and_names_the_last_checkpoint():
    cfg = Config(dict(input_shape=(3, 64, 64)))
    runner = SimpleNamespace(iter=40)
    summary = stage_summary(_results(25.123456), cfg, runner, 61.27, 'work/stage1')
    assert summary['psnr'] == 25.123 and summary['ssim'] == 0.7123
    assert summary['hf_energy_ratio'] == 0.8123
    assert summary['iters'] == 40 and summary['seconds'] == 61.3
    assert summary['held_out'] == ['a.png', 'b.jpg']
    assert summary['video_frames'] == dict(psnr=24.123, ssim=0.7123, hf_energy_ratio=0.8123,
                                           colour_shift=1.23, colour_shift_worst=-3.21,
                                           blockiness=1.0512, blockiness_worst=1.1234,
                                           count=3, clips=['clip'])
    assert (summary['colour_shift'], summary['blockiness_worst']) == (1.23, 1.1234)
    assert summary['checkpoint'] == 'work/stage1/iter_40.pth'
    assert summary['eval_protocol'].startswith('2 held-out photos, short side resized to 64')


def test_results_table_has_a_row_per_stage_and_kind():
    result = QuickstartResult(
        summary=dict(stage1=dict(iters=40, seconds=90.0), stage2=dict(iters=20, seconds=30.0)),
        summary_path='s.json', grid_path='g.png',
        evaluated=dict(stage1=_results(25.126), stage2=_results(26.0)))
    header, rows = results_table(result)
    assert header[0] == 'stage' and len(rows) == 4
    assert rows[0] == ('stage1', '2 held-out photos', '25.13', '0.7123', '0.812',
                       '1.23 (-3.2)', '1.05 (1.12)', '40', '1.5 min')
    assert rows[1] == ('stage1', '3 held-out video frames', '24.13', '0.7123', '0.812',
                       '1.23 (-3.2)', '1.05 (1.12)', '', '')
    assert rows[3][:3] == ('stage2', '3 held-out video frames', '25.00')
    assert format_table(header, rows).split('\n')[1].startswith('------  -----------------')
