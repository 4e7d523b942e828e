"""Pixel heads that tie neighbouring patches: shapes for images and clips, what each
computes against the plain head (overlap 0 and a zero-initialised refinement equal it;
border smoothing touches only border pixels, by the formula), parameter counts as
get_flops.py reports them, and the paper's default head unchanged."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.conftest import tiny_vitok_config
from vitok_mm.analysis import build_on_meta, count_complexity
from vitok_mm.models.layers import (
    BorderSmoothPixelHead,
    ConvRefinePixelHead,
    OverlapPixelHead,
    PixelHead,
)
from vitok_mm.registry import MODELS

REPO = Path(__file__).resolve().parents[3]
HEADS = [PixelHead, OverlapPixelHead, ConvRefinePixelHead, BorderSmoothPixelHead]


@pytest.mark.parametrize('head', HEADS)
@pytest.mark.parametrize('tubelet, grid', [(None, (3, 4)), (2, (2, 3, 4))])
def test_shapes(head, tubelet, grid):
    module = head(16, 4, tubelet_size=tubelet)
    tokens = torch.randn(2, int(torch.tensor(grid).prod()), 16)
    expected = (2, 3, 12, 16) if tubelet is None else (2, 3, 4, 12, 16)
    assert module(tokens, grid).shape == expected
    assert module.proj.weight.shape[1] == 16  # stage 2 balances its losses here


def test_no_overlap_and_a_fresh_refinement_equal_the_plain_head():
    tokens = torch.randn(2, 12, 16)
    plain = PixelHead(16, 4)
    for head in (OverlapPixelHead(16, 4, overlap=0), ConvRefinePixelHead(16, 4)):
        head.proj.load_state_dict(plain.proj.state_dict())
        torch.testing.assert_close(head(tokens, (3, 4)), plain(tokens, (3, 4)))
    video = PixelHead(16, 4, tubelet_size=2)
    overlap = OverlapPixelHead(16, 4, tubelet_size=2, overlap=0)
    overlap.proj.load_state_dict(video.proj.state_dict())
    clip = torch.randn(1, 24, 16)
    torch.testing.assert_close(overlap(clip, (2, 3, 4)), video(clip, (2, 3, 4)))


def test_overlap_blends_neighbours_where_they_meet():
    """Two tokens side by side, each predicting a constant patch (1 and 3) of 4 + 2x2
    pixels: away from their border each keeps its value; at the border the tent windows
    cross-fade from 1 to 3, and nothing changes at the image's outer edge."""
    head = OverlapPixelHead(1, 4, out_channels=1, overlap=2)
    with torch.no_grad():
        head.proj.weight.zero_()
        head.proj.bias.fill_(1.0)
    tokens = torch.zeros(1, 2, 1)
    out = head(tokens, (1, 2))
    assert torch.allclose(out, torch.ones_like(out))  # equal patches: blending is exact
    with torch.no_grad():
        head.proj.bias.zero_()
    value = {0: 1.0, 1: 3.0}

    class Constant(torch.nn.Module):
        def forward(self, x):
            return torch.stack([torch.full((64, ), value[i]) for i in range(2)])[None]
    head.proj = Constant()
    row = head(tokens, (1, 2))[0, 0, 0]
    assert row[0].item() == 1.0 and row[-1].item() == 3.0
    assert torch.all(row[1:] >= row[:-1])  # a monotone cross-fade, no step
    assert (row[4] - row[3]).item() < 2.0  # the plain head would jump by 2 here


def test_border_smoothing_changes_only_border_pixels_by_the_formula():
    """An 8x8 image of 4x4 patches: columns 3 and 4 (either side of the border) become
    [1, 2, 1] / 4 of their row neighbours, then rows 3 and 4 of their column neighbours;
    the other pixels are the plain head's."""
    torch.manual_seed(0)
    plain, smooth = PixelHead(8, 4), BorderSmoothPixelHead(8, 4)
    smooth.load_state_dict(plain.state_dict())
    tokens = torch.randn(1, 4, 8)
    x, y = plain(tokens, (2, 2))[0].detach(), smooth(tokens, (2, 2))[0].detach()
    expected = x.clone()
    for col in (3, 4):
        expected[..., col] = (x[..., col - 1] + 2 * x[..., col] + x[..., col + 1]) / 4
    rows = expected.clone()
    for row in (3, 4):
        expected[..., row, :] = (rows[..., row - 1, :] + 2 * rows[..., row, :]
                                 + rows[..., row + 1, :]) / 4
    torch.testing.assert_close(y, expected)
    inside = [0, 1, 2, 5, 6, 7]
    assert torch.equal(y[:, inside][:, :, inside], x[:, inside][:, :, inside])


@pytest.mark.parametrize('head, extra', [
    (dict(type='PixelHead'), 0),
    (dict(type='BorderSmoothPixelHead'), 0),
    (dict(type='ConvRefinePixelHead', hidden=8), 3 * 8 * 9 + 8 + 8 * 3 * 9 + 3),
    (dict(type='OverlapPixelHead', overlap=2), (48 + 1) * 3 * (12 ** 2 - 8 ** 2)),
])
def test_parameter_counts(head, extra):
    cfg = tiny_vitok_config(patch_size=8)
    cfg['decoder'] = dict(cfg['decoder'], pixel_head=head)
    result = count_complexity(build_on_meta(cfg), (3, 32, 32))
    plain = 48 * 3 * 64 + 3 * 64
    assert result.head_params == {head['type']: plain + extra}
    done = subprocess.run(
        [sys.executable, 'tools/analysis_tools/get_flops.py',
         'configs/quickstart/vitok_tiny_64p_plain.py', '--cfg-options',
         f'model.decoder.pixel_head.type={head["type"]}'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f'({head["type"]})' in done.stdout


def test_the_paper_configs_keep_the_plain_head():
    from vitok_mm.models import variant_config
    model = build_on_meta(variant_config('S-B/16'))
    assert type(model.decoder.pixel_head) is PixelHead
    cfg = tiny_vitok_config()
    torch.manual_seed(0)
    default = MODELS.build(cfg).eval()
    explicit_cfg = dict(cfg, decoder=dict(cfg['decoder'], pixel_head=dict(type='PixelHead')))
    torch.manual_seed(0)
    explicit = MODELS.build(explicit_cfg).eval()
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        assert torch.equal(default.reconstruct(x), explicit.reconstruct(x))


def test_a_sharper_window_leans_on_each_pixels_own_token():
    """Patch 4 with overlap 1: a 6-pixel window [e, 1, 1, 1, 1, e], e = 0.5 ** power."""
    for power, edge in ((1.0, 0.5), (2.0, 0.25), (3.0, 0.125)):
        line = torch.tensor([edge, 1, 1, 1, 1, edge])
        head = OverlapPixelHead(4, 4, overlap=1, window_power=power)
        torch.testing.assert_close(head.window, torch.outer(line, line))
    with pytest.raises(ValueError, match='window_power must be positive'):
        OverlapPixelHead(4, 4, window_power=0)


def test_an_overlap_wider_than_the_patch_is_a_normalised_tent_filter():
    """Patch 1 (a DiT's head on latents) with overlap 2: each token predicts a 5x5
    neighbourhood; with constant predictions c_i the output at a pixel is the tent-weighted
    mean of the c_i of the tokens within 2 cells, computed here as two convolutions."""
    torch.manual_seed(0)
    head = OverlapPixelHead(1, 1, out_channels=1, overlap=2)
    values = torch.randn(1, 1, 5, 6)
    with torch.no_grad():
        head.proj.weight.fill_(1.0)
        head.proj.bias.zero_()
    out = head(values.flatten(2).transpose(1, 2), (5, 6))  # token i predicts c_i everywhere
    window = torch.tensor([1 / 3, 2 / 3, 1, 2 / 3, 1 / 3])
    kernel = torch.outer(window, window)[None, None]
    expected = (torch.nn.functional.conv2d(values, kernel, padding=2)
                / torch.nn.functional.conv2d(torch.ones_like(values), kernel, padding=2))
    torch.testing.assert_close(out, expected)
    with pytest.raises(ValueError, match=r'overlap must be an integer >= 0, got -1'):
        OverlapPixelHead(4, 1, overlap=-1)
