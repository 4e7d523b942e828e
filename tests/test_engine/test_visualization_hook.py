"""ReconstructionVisualizationHook: grids during training, a GIF for clips (the drawing
itself is tested in tests/test_visualization)."""
import glob
import os.path as osp
from types import SimpleNamespace

import numpy as np
import torch
from PIL import Image

from tests.test_engine.test_training import run_train, samples, write_config  # noqa: F401
from vitok_mm.engine.hooks import ReconstructionVisualizationHook
from vitok_mm.visualization import comparison_grid


def test_video_grids_become_a_gif(tmp_path):
    hook = ReconstructionVisualizationHook()
    runner = SimpleNamespace(log_dir=str(tmp_path))
    clip = torch.rand(2, 3, 5, 8, 8) * 2 - 1
    hook._show(runner, 'val_reconstructions', clip, clip.flip(-1), step=7)
    gif = Image.open(tmp_path / 'val_reconstructions_7.gif')
    assert gif.n_frames == 5 and gif.size == (2 * 8, 3 * 8)


def test_test_grid_is_the_comparison_of_the_first_outputs(tmp_path):
    hook = ReconstructionVisualizationHook(num_images=2)
    added = []
    runner = SimpleNamespace(visualizer=SimpleNamespace(
        add_image=lambda name, image, step: added.append((name, image, step))))
    outputs = [dict(gt=torch.rand(3, 8, 8) * 2 - 1, pred=torch.rand(3, 8, 8) * 2 - 1)
               for _ in range(3)]
    hook.after_test_iter(runner, 1, outputs=outputs)
    assert added == []  # only the first batch is drawn
    hook.after_test_iter(runner, 0, outputs=outputs)
    [(name, image, step)] = added
    expected = comparison_grid(torch.stack([o['gt'] for o in outputs[:2]]),
                               torch.stack([o['pred'] for o in outputs[:2]]))
    assert (name, step) == ('test_reconstructions', 0)
    np.testing.assert_array_equal(image, expected)


def test_grids_written_during_training(tmp_path, samples):  # noqa: F811
    config = write_config(tmp_path, samples, max_iters=4, extra="""
        default_hooks = dict(visualization=dict(interval=2, num_images=3))
    """)
    result = run_train(config, str(tmp_path / 'run'))
    assert result.returncode == 0, result.stderr[-2000:]
    images = sorted(glob.glob(str(tmp_path / 'run' / '*' / 'vis_data' / 'vis_image' / '*.png')))
    assert [osp.basename(p) for p in images] == ['val_reconstructions_2.png',
                                                  'val_reconstructions_4.png']
    assert Image.open(images[0]).size == (3 * 32, 3 * 32)
