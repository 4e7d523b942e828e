"""Drawing reconstructions: heat-map colours, grid layout, GIF frames, and rows of images
equal byte for byte to the quick start's original ``save_grid``."""
import numpy as np
import pytest
import torch
from PIL import Image

from vitok_mm.evaluation.metrics import to_unit_range
from vitok_mm.visualization import (
    comparison_grid,
    flattest_window,
    heat_map,
    save_comparison_gif,
    save_image_rows,
    zoomed_crops,
)


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


def test_gif_frames_are_the_grids_of_each_frame(tmp_path):
    clips = torch.rand(2, 3, 4, 6, 8) * 2 - 1
    recons = clips.flip(-1)
    path = tmp_path / 'sub' / 'clip.gif'
    save_comparison_gif(str(path), clips, recons, zoom=2)
    gif = Image.open(path)
    assert gif.n_frames == 4 and gif.size == (2 * 8 * 2, 3 * 6 * 2)
    gif.seek(3)
    # GIF frames are palette-quantised; the originals' row is compared loosely.
    frame = np.asarray(gif.convert('RGB'))[::2, ::2].astype(int)
    grid = comparison_grid(clips[:, :, 3], recons[:, :, 3]).astype(int)
    assert np.abs(frame - grid).mean() < 8


def quickstart_save_grid(path, rows, zoom=3):
    """tools/quickstart.py's ``save_grid`` as it was before it moved, verbatim."""
    rows = [torch.cat(list(to_unit_range(x)), dim=2) for x in rows]
    grid = (torch.cat(rows, dim=1) * 255).round().byte().permute(1, 2, 0).numpy()
    Image.fromarray(grid).resize((grid.shape[1] * zoom, grid.shape[0] * zoom),
                                 Image.NEAREST).save(path)


def test_image_rows_equal_the_quickstart_grid_byte_for_byte(tmp_path):
    generator = torch.Generator().manual_seed(0)
    rows = [torch.rand(5, 3, 6, 7, generator=generator) * 2.4 - 1.2 for _ in range(3)]
    # Every 8-bit level and every half-way point between two levels, exactly.
    levels = torch.arange(512, dtype=torch.float32) / 2 / 255 * 2 - 1
    rows[0].view(-1)[:512] = levels
    for zoom in (1, 3):
        save_image_rows(str(tmp_path / f'rows_{zoom}.png'), rows, zoom=zoom)
        quickstart_save_grid(str(tmp_path / f'reference_{zoom}.png'), rows, zoom=zoom)
        assert ((tmp_path / f'rows_{zoom}.png').read_bytes()
                == (tmp_path / f'reference_{zoom}.png').read_bytes())
    image = np.asarray(Image.open(tmp_path / 'rows_3.png'))
    assert image.shape == (3 * 6 * 3, 5 * 7 * 3, 3)
    # Row 2, image 4, pixel (1, 2): nearest zoom repeats it over a 3x3 block.
    expected = ((rows[2][4, :, 1, 2] + 1) / 2).clamp(0, 1).mul(255).round().byte().numpy()
    top, left = (2 * 6 + 1) * 3, (4 * 7 + 2) * 3
    assert (image[top:top + 3, left:left + 3] == expected).all()


@pytest.mark.parametrize('rows, zoom, match', [
    ([], 3, 'at least one row'),
    ([torch.zeros(2, 3, 4, 4), torch.zeros(3, 3, 4, 4)], 3, 'of one shape'),
    ([torch.zeros(2, 1, 4, 4)], 3, r'\(N, 3, H, W\)'),
    ([torch.zeros(2, 3, 4, 4)], 0, 'zoom must be >= 1')])
def test_image_rows_reject_bad_arguments(tmp_path, rows, zoom, match):
    with pytest.raises(ValueError, match=match):
        save_image_rows(str(tmp_path / 'x.png'), rows, zoom=zoom)


def test_the_flattest_window_is_the_flat_area():
    torch.manual_seed(0)
    image = torch.rand(3, 64, 64) * 2 - 1
    image[:, 30:52, 5:27] = 0.3  # a flat 22x22 patch of "sky"
    top, left = flattest_window(image, 21)
    assert 30 <= top <= 31 and 5 <= left <= 6


def test_zoomed_crops_cut_the_same_window_from_every_row():
    torch.manual_seed(0)
    originals = torch.rand(2, 3, 64, 64) * 2 - 1
    originals[0, :, 0:21, 40:61] = -0.5
    recons = originals + 0.1
    zoomed = zoomed_crops([originals, recons], 21, zoom=3)
    assert [tuple(z.shape) for z in zoomed] == [(2, 3, 64, 64)] * 2
    # Nearest-neighbour zoom: each source pixel is a 3x3 block.
    torch.testing.assert_close(zoomed[0][0, :, :63, :63],
                               originals[0, :, 0:21, 40:61].repeat_interleave(3, 1)
                               .repeat_interleave(3, 2))
    torch.testing.assert_close(zoomed[1][0, :, :63, :63], zoomed[0][0, :, :63, :63] + 0.1)
    assert torch.all(zoomed[0][:, :, 63, :] == 1)  # the white margin
    with pytest.raises(ValueError, match='exceeds the 64x64 images'):
        zoomed_crops([originals], 22, zoom=3)
