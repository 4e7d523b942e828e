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


def image_rows(rows: Sequence[torch.Tensor]) -> np.ndarray:
    """Rows of images side by side: ``(N, 3, H, W)`` tensors in [-1, 1], all of one shape
    -> ``(len(rows) * H, N * W, 3)`` uint8, each pixel rounded to 8 bits.

    Raises:
        ValueError: for no rows, or rows that are not ``(N, 3, H, W)`` of one shape.
    """
    if not rows:
        raise ValueError('image rows need at least one row of images.')
    shapes = {tuple(row.shape) for row in rows}
    if len(shapes) != 1 or len(next(iter(shapes))) != 4 or next(iter(shapes))[1] != 3:
        raise ValueError('image rows are (N, 3, H, W) images of one shape, '
                         f'got shapes {[tuple(row.shape) for row in rows]}.')
    # [-1, 1] -> [0, 1] -> 8-bit levels, as the reconstruction metrics score them.
    unit = [((row.float() + 1) / 2).clamp(0, 1) for row in rows]
    grid = torch.cat([torch.cat(list(row), dim=2) for row in unit], dim=1)
    return (grid * 255).round().byte().permute(1, 2, 0).cpu().numpy()


def save_image_rows(path: str, rows: Sequence[torch.Tensor], zoom: int = 3) -> None:
    """:func:`image_rows` saved at ``path`` ``zoom`` times larger (nearest neighbour).

    Raises:
        ValueError: as :func:`image_rows`, or ``zoom < 1``.
    """
    if zoom < 1:
        raise ValueError(f'zoom must be >= 1, got {zoom}.')
    grid = image_rows(rows)
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    Image.fromarray(grid).resize((grid.shape[1] * zoom, grid.shape[0] * zoom),
                                 Image.NEAREST).save(path)


def flattest_window(image: torch.Tensor, size: int) -> tuple:
    """``(top, left)`` of the ``size`` x ``size`` window of ``image`` (``(3, H, W)``) with the
    least mean absolute gradient: a flat area (sky, wall, skin), where a patch grid or a
    colour cast shows first."""
    x = image.float().mean(0, keepdim=True)
    gradient = torch.zeros_like(x)
    gradient[..., :, 1:] += (x[..., :, 1:] - x[..., :, :-1]).abs()
    gradient[..., 1:, :] += (x[..., 1:, :] - x[..., :-1, :]).abs()
    energy = torch.nn.functional.avg_pool2d(gradient[None], size, stride=1)[0, 0]
    index = int(energy.flatten().argmin())
    return divmod(index, energy.shape[1])


def zoomed_crops(rows: Sequence[torch.Tensor], size: int, zoom: int = 3) -> list:
    """For each column, the flattest ``size`` window of the first row's image (the
    originals), cut from every row and enlarged ``zoom`` times (nearest neighbour, so the
    pixels stay visible), then padded to the rows' image size where it falls short:
    rows of ``(N, 3, H, W)`` in [-1, 1] -> rows of the same shape."""
    height, width = rows[0].shape[-2:]
    if size * zoom > min(height, width):
        raise ValueError(f'a {size} px crop zoomed {zoom}x exceeds the {height}x{width} images.')
    windows = [flattest_window(image, size) for image in rows[0]]
    out = []
    for row in rows:
        crops = []
        for image, (top, left) in zip(row, windows):
            crop = image[:, top:top + size, left:left + size]
            crop = crop.repeat_interleave(zoom, 1).repeat_interleave(zoom, 2)
            canvas = torch.ones(3, height, width, dtype=crop.dtype)  # white margin
            canvas[:, :crop.shape[1], :crop.shape[2]] = crop
            crops.append(canvas)
        out.append(torch.stack(crops))
    return out


def latent_preview(latents: torch.Tensor, size: int = 64) -> torch.Tensor:
    """A look at latents without a tokenizer: their first three channels (of the
    generator's normalised latents, ~unit variance), ``/3`` into [-1, 1], enlarged.

    ``(N, c, h, w)`` -> ``(N, 3, size, size * w / h)`` in [-1, 1]; fewer than three
    channels are repeated.
    """
    shown = latents.float()[:, :3]
    if shown.shape[1] < 3:
        shown = shown.repeat(1, 3, 1, 1)[:, :3]
    height = size
    width = max(1, round(size * shown.shape[-1] / shown.shape[-2]))
    shown = torch.nn.functional.interpolate(shown, size=(height, width), mode='nearest')
    return (shown / 3).clamp(-1, 1)
