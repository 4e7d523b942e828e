"""Grids of originals, reconstructions and error heat maps, during training and testing."""
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from PIL import Image

from vitok_mm.registry import HOOKS
from vitok_mm.utils import unwrap

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

    ``originals``/``recons``: ``(N, 3, H, W)`` in [-1, 1]. The heat map is the mean
    absolute error over channels in [0, 1] units, white at ``error_range``.
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
    :func:`comparison_grid` of frame t (inputs over reconstructions over errors)."""
    frames = [Image.fromarray(comparison_grid(originals[:, :, t], recons[:, :, t],
                                              error_range))
              for t in range(originals.shape[2])]
    if zoom > 1:
        frames = [f.resize((f.width * zoom, f.height * zoom), Image.NEAREST) for f in frames]
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)


@HOOKS.register_module()
class ReconstructionVisualizationHook(Hook):
    """Every ``interval`` training iterations, reconstruct a fixed set of validation
    images and add ``original / reconstruction / error`` grids to the runner's
    Visualizer (its backends: local files under ``vis_data``, TensorBoard when
    configured); at test time, the same for the first batch. Video: a GIF strip
    (``<log_dir>/reconstructions_<step>.gif``, one grid per frame).

    Args:
        interval: training iterations between grids (0: never during training).
        num_images: validation images in the grid.
        error_range: error (in [0, 1] pixel units) shown as white.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 1000, num_images: int = 8, error_range: float = 0.25):
        self.interval = interval
        self.num_images = num_images
        self.error_range = error_range
        self._fixed: Optional[torch.Tensor] = None

    def _fixed_inputs(self, runner) -> Optional[torch.Tensor]:
        if self._fixed is None:
            loader = runner.val_dataloader if runner.val_loop is not None else None
            if loader is None:
                return None
            dataset = loader.dataset
            samples = [dataset[i] for i in range(min(self.num_images, len(dataset)))]
            model = unwrap(runner.model)
            data = model.data_preprocessor(dict(inputs=[s['inputs'] for s in samples]), False)
            self._fixed = data['inputs']
        return self._fixed

    def _show(self, runner, name: str, originals: torch.Tensor, recons: torch.Tensor,
              step: int) -> None:
        if originals.ndim == 5:  # (N, C, T, H, W): a GIF, one grid per frame
            save_comparison_gif(osp.join(runner.log_dir, f'{name}_{step}.gif'), originals,
                                recons, self.error_range)
            return
        runner.visualizer.add_image(name, comparison_grid(originals, recons, self.error_range),
                                    step=step)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.interval or not self.every_n_train_iters(runner, self.interval):
            return
        if not is_main_process():
            return
        inputs = self._fixed_inputs(runner)
        if inputs is None:
            return
        model = unwrap(runner.model)
        was_training = model.training
        model.eval()
        with torch.no_grad():
            recons = model.reconstruct(inputs)
        model.train(was_training)
        self._show(runner, 'val_reconstructions', inputs, recons, runner.iter + 1)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence[dict]] = None) -> None:
        if batch_idx != 0 or not outputs or not is_main_process():
            return
        chosen: List[dict] = list(outputs)[:self.num_images]
        self._show(runner, 'test_reconstructions', torch.stack([o['gt'] for o in chosen]),
                   torch.stack([o['pred'] for o in chosen]), 0)
