"""Blockiness: whether a reconstruction shows its tokens' patch grid.

A decoder that maps each token to its own p x p patch, with nothing tying neighbours,
leaves steps at the patch borders: the mean absolute difference between neighbouring
pixels across a border grows against the mean inside patches. The ratio of the two
means is compared with the original's (natural images have no grid: about 1), so the
measure is free of how textured a picture is.
"""
import torch


def blockiness(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    """The mean absolute difference between neighbouring pixels across the borders of a
    ``patch_size`` grid over the mean inside the patches (horizontal plus vertical
    neighbours' means, each direction on its own): ``(N, C, H, W)`` (or ``(N, C, T, H,
    W)``, a clip's frames pooled) -> ``(N,)``.

    A picture with no grid gives about 1, one with steps at the borders more. The grid
    starts at the top-left pixel, as the tokenizer's patches do.
    """
    if x.ndim == 5:  # the frames of each clip pooled
        return _blockiness(x.transpose(1, 2).flatten(0, 1), patch_size, group=x.shape[2])
    if x.ndim != 4:
        raise ValueError(f'blockiness takes (N, C, H, W) or (N, C, T, H, W), got '
                         f'{tuple(x.shape)}.')
    return _blockiness(x, patch_size, group=1)


def _blockiness(x: torch.Tensor, p: int, group: int) -> torch.Tensor:
    height, width = x.shape[-2:]
    if p < 2 or height < 2 * p or width < 2 * p:
        raise ValueError(f'blockiness needs patch_size >= 2 and at least two patches per '
                         f'side; got patch_size={p} for {height}x{width}.')
    x = x.double()
    across_cols = (x[..., :, 1:] - x[..., :, :-1]).abs()  # (.., H, W-1): pair (j, j+1)
    across_rows = (x[..., 1:, :] - x[..., :-1, :]).abs()  # (.., H-1, W)
    col_border = (torch.arange(1, width) % p == 0).to(x.device)  # j+1 starts a patch
    row_border = (torch.arange(1, height) % p == 0).to(x.device)

    def mean(diffs: torch.Tensor) -> torch.Tensor:  # over each image's (group of) frames
        return diffs.reshape(-1, group * diffs[0].numel()).mean(1)

    # Each direction's mean on its own, then summed: a picture that changes along one
    # axis only scores 1 whatever its aspect ratio.
    border = mean(across_cols[..., col_border]) + mean(across_rows[..., row_border, :])
    inside = mean(across_cols[..., ~col_border]) + mean(across_rows[..., ~row_border, :])
    return border / inside.clamp_min(1e-12)
