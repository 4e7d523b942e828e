"""Pictures of reconstructions: originals over reconstructions over error heat maps
(an image grid, or a GIF of one grid per frame for clips), and plain rows of images."""
import os
import os.path as osp
from typing import Sequence

import numpy as np
import torch
from PIL import Image

# Black -> red -> yellow -> white ("hot"), for absolute error.
_HOT = np.array([[0, 0, 0], [230, 0, 0], [255, 210, 0], [255, 255, 255]], dtype=np.float64)


def heat_map(error: np.ndarray, vmax: float) -> np.ndarray:
    """``(H, W)`` non-negative error -> ``(H, W, 3)`` uint8, ``vmax`` maps to white."""
    position = np.clip(error / max(vmax, 1e-8), 0, 1) * (len(_HOT) - 1)
    low = np.floor(position).astype(int).clip(0, len(_HOT) - 2)
    frac = (position - low)[..., None]
    return ((1 - frac) * _HOT[low] + frac * _HOT[low + 1]).round().astype(np.uint8)


def comparison_grid(originals: torch.Tensor, recons: torch.Tensor,
                    error_range: float = 0.25) -> np.ndarray:
    """Rows: originals, reconstructions, |error| heat maps; one column per image.

    ``originals``/``recons``: ``(N, 3, H, W)`` in [-1, 1] -> ``(3H, NW, 3)`` uint8. The
    heat map is the mean absolute error over channels in [0, 1] units, white at
    ``error_range``.
    """
    to_uint8 = (lambda x: ((x.float().clamp(-1, 1) + 1) * 127.5).round().byte()  # noqa: E731
                .permute(0, 2, 3, 1).cpu().numpy())
    top, middle = to_uint8(originals), to_uint8(recons)
    error = ((recons.float() - originals.float()).abs().mean(1) / 2).cpu().numpy()
    bottom = np.stack([heat_map(e, error_range) for e in error])
    rows = [np.concatenate(list(row), axis=1) for row in (top, middle, bottom)]
    return np.concatenate(rows, axis=0)


def save_comparison_gif(path: str, originals: torch.Tensor, recons: torch.Tensor,
                        error_range: float = 0.25, frame_ms: int = 125, zoom: int = 1) -> None:
    """Clips ``(N, 3, T, H, W)`` in [-1, 1] -> an animated GIF at ``path``: frame t shows
    :func:`comparison_grid` of frame t (inputs over reconstructions over errors),
    ``zoom`` times larger (nearest neighbour)."""
    frames = [Image.fromarray(comparison_grid(originals[:, :, t], recons[:, :, t],
                                              error_range))
              for t in range(originals.shape[2])]
    if zoom > 1:
        frames = [f.resize((f.width * zoom, f.height * zoom), Image.NEAREST) for f in frames]
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)


def save_image_rows(path: str, rows: Sequence[torch.Tensor], zoom: int = 3) -> None:
    """Rows of images side by side (e.g. originals, then each model's reconstructions),
    saved at ``path`` ``zoom`` times larger (nearest neighbour).

    ``rows``: tensors ``(N, 3, H, W)`` in [-1, 1], all of one shape -> an image of
    ``(len(rows) * H * zoom, N * W * zoom)`` pixels, each pixel rounded to 8 bits.

    Raises:
        ValueError: for no rows, rows that are not ``(N, 3, H, W)`` of one shape, or
            ``zoom < 1``.
    """
    if not rows:
        raise ValueError('save_image_rows needs at least one row of images.')
    shapes = {tuple(row.shape) for row in rows}
    if len(shapes) != 1 or len(next(iter(shapes))) != 4 or next(iter(shapes))[1] != 3:
        raise ValueError('save_image_rows takes rows of (N, 3, H, W) images of one shape, '
                         f'got shapes {[tuple(row.shape) for row in rows]}.')
    if zoom < 1:
        raise ValueError(f'zoom must be >= 1, got {zoom}.')
    # [-1, 1] -> [0, 1] -> 8-bit levels, as the reconstruction metrics score them.
    unit = [((row.float() + 1) / 2).clamp(0, 1) for row in rows]
    grid = torch.cat([torch.cat(list(row), dim=2) for row in unit], dim=1)
    grid = (grid * 255).round().byte().permute(1, 2, 0).cpu().numpy()
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    Image.fromarray(grid).resize((grid.shape[1] * zoom, grid.shape[0] * zoom),
                                 Image.NEAREST).save(path)
