"""Grids of originals, reconstructions and error heat maps, during training and testing
(the drawing is in :mod:`vitok_mm.visualization`)."""
import os.path as osp
from typing import List, Optional, Sequence

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from vitok_mm.registry import HOOKS
from vitok_mm.utils import unwrap
from vitok_mm.visualization import comparison_grid, save_comparison_gif


@HOOKS.register_module()
class ReconstructionVisualizationHook(Hook):
    """Every ``interval`` training iterations, reconstruct a fixed set of validation
    images and add ``original / reconstruction / error`` grids to the runner's
    Visualizer (its backends: local files under ``vis_data``, TensorBoard when
    configured); at test time, the same for the first batch. Video: a GIF, one grid
    per frame (``<log_dir>/val_reconstructions_<iter>.gif``, ``test_reconstructions_0.gif``).

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
