import glob
import os.path as osp
from types import SimpleNamespace

import numpy as np
import torch
from PIL import Image

from tests.test_engine.test_training import run_train, samples, write_config  # noqa: F401
from vitok_mm.engine.hooks import ReconstructionVisualizationHook, comparison_grid
from vitok_mm.engine.hooks.visualization_hook import heat_map


def test_heat_map_scale():
    colours = heat_map(np.array([[0.0, 0.25, 1.0, 2.0]]), vmax=1.0)[0]
    assert colours[0].tolist() == [0, 0, 0]
    assert colours[2].tolist() == [255, 255, 255] and colours[3].tolist() == [255, 255, 255]
    assert colours[1][0] > colours[1][1] >= colours[1][2]  # reddish for small errors


def test_grid_rows_are_originals_reconstructions_errors():
    originals = torch.rand(3, 3, 8, 10) * 2 - 1
    grid = comparison_grid(originals, originals)
    assert grid.shape == (3 * 8, 3 * 10, 3) and grid.dtype == np.uint8
    expected = ((originals[1] + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(grid[:8, 10:20], expected)
    np.testing.assert_array_equal(grid[8:16], grid[:8])  # perfect reconstruction
    assert grid[16:].max() == 0  # no error: black


def test_video_grids_become_a_gif(tmp_path):
    hook = ReconstructionVisualizationHook()
    runner = SimpleNamespace(log_dir=str(tmp_path))
    clip = torch.rand(2, 3, 5, 8, 8) * 2 - 1
    hook._show(runner, 'val_reconstructions', clip, clip.flip(-1), step=7)
    gif = Image.open(tmp_path / 'val_reconstructions_7.gif')
    assert gif.n_frames == 5 and gif.size == (2 * 8, 3 * 8)


def test_grids_written_during_training(tmp_path, samples):  # noqa: F811
    config = write_config(tmp_path, samples, max_iters=4, extra="""
        custom_hooks = [dict(type='ReconstructionVisualizationHook', interval=2,
                             num_images=3)]
    """)
    result = run_train(config, str(tmp_path / 'run'))
    assert result.returncode == 0, result.stderr[-2000:]
    images = sorted(glob.glob(str(tmp_path / 'run' / '*' / 'vis_data' / 'vis_image' / '*.png')))
    assert [osp.basename(p) for p in images] == ['val_reconstructions_2.png',
                                                  'val_reconstructions_4.png']
    assert Image.open(images[0]).size == (3 * 32, 3 * 32)
