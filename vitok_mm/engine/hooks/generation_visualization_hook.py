"""Grids of generated samples, for a fixed set of classes and seeds, during training."""
import os.path as osp
from typing import Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from vitok_mm.registry import HOOKS
from vitok_mm.utils import unwrap
from vitok_mm.visualization import image_rows, latent_preview


def shown_classes(num_classes: int, count: int) -> torch.Tensor:
    """``count`` class ids spread evenly over ``0..num_classes-1``."""
    count = max(1, min(count, num_classes))
    return torch.linspace(0, num_classes - 1, count).round().long()


@HOOKS.register_module()
class GenerationVisualizationHook(Hook):
    """Every ``interval`` iterations (and after each validation), sample
    ``samples_per_class`` latents for each of ``num_classes`` classes with fixed seeds
    and add the grid (a row per seed, a column per class) to the runner's Visualizer.

    The samples are decoded by the tokenizer when one is configured and its checkpoint
    exists (``tokenizer=dict(config=..., checkpoint=...)``, default: the run config's
    ``tokenizer``); otherwise the grid shows the first three latent channels.

    Args:
        interval: training iterations between grids (0: only after validation).
        num_classes: classes shown, spread over all classes.
        samples_per_class: fixed seeds per class.
        cfg_scale: guidance scale of the grid.
        num_steps: solver steps (default: the model's solver).
        seed: seeds of the grid's noise.
        tokenizer: ``dict(config=..., checkpoint=...)`` of the decoding tokenizer.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 50_000, num_classes: int = 8, samples_per_class: int = 2,
                 cfg_scale: float = 1.0, num_steps: Optional[int] = None, seed: int = 0,
                 tokenizer: Optional[dict] = None):
        self.interval = interval
        self.num_classes = num_classes
        self.samples_per_class = samples_per_class
        self.cfg_scale = cfg_scale
        self.num_steps = num_steps
        self.seed = seed
        self.tokenizer_cfg = tokenizer
        self._tokenizer = None
        self._tokenizer_tried = False

    def _decoder(self, runner):
        if self._tokenizer_tried:
            return self._tokenizer
        self._tokenizer_tried = True
        cfg = self.tokenizer_cfg or runner.cfg.get('tokenizer')
        if not cfg:
            return None
        checkpoint = cfg.get('checkpoint')
        if not checkpoint or not osp.isfile(checkpoint):
            print_log(f'GenerationVisualizationHook: tokenizer checkpoint {checkpoint} not found; '
                      'the grids show latent channels instead of pixels.', logger='current')
            return None
        from mmengine.config import Config

        from vitok_mm.models.builder import build_model
        self._tokenizer = build_model(Config.fromfile(cfg['config']), checkpoint)
        return self._tokenizer

    @torch.no_grad()
    def draw(self, runner, name: str) -> None:
        model = unwrap(runner.model)
        classes = shown_classes(model.num_classes, self.num_classes)
        labels = classes.repeat(self.samples_per_class)
        generators = [torch.Generator().manual_seed(self.seed * 10_000 + i)
                      for i in range(labels.numel())]
        was_training = model.training
        model.eval()
        latents = model.sample(labels, generator=generators, cfg_scale=self.cfg_scale,
                               num_steps=self.num_steps)
        model.train(was_training)
        tokenizer = self._decoder(runner)
        if tokenizer is not None:
            images = tokenizer.to(latents.device).decode(latents).clamp(-1, 1)
            if images.ndim == 5:  # video: the middle frame
                images = images[:, :, images.shape[2] // 2]
        else:
            normalized = model.data_preprocessor.normalize(latents)
            if normalized.ndim == 5:
                normalized = normalized[:, :, normalized.shape[2] // 2]
            images = latent_preview(normalized)
        rows = list(images.cpu().split(classes.numel()))
        runner.visualizer.add_image(name, image_rows(rows), step=runner.iter)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.interval and self.every_n_train_iters(runner, self.interval) and \
                is_main_process():
            self.draw(runner, 'generated')

    def after_val_epoch(self, runner, metrics=None) -> None:
        if is_main_process() and not self.interval:
            self.draw(runner, 'generated')
