"""Building a tokenizer from a config for inference, and running it on image files.

No runner and no work dir: the tools that only need the model (reconstruct,
get_flops, benchmark) start here.
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from torch import nn


def load_inference_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """A config with ``cfg_options`` (``{'model.decoder.depth': 24}``) merged in.

    Unlike :func:`~vitok_mm.apis.load_config` it sets nothing up for a run.

    A repository path (``configs/vitok/s-b_16_256p.py``) that is not there is read from
    the configs installed with the package, so that the README's commands work outside a
    clone.

    Raises:
        FileNotFoundError: there is no file at ``path``; the message names it.
    """
    if not osp.isfile(path):
        from .model_index import installed_config
        path = installed_config(path) or path
    if not osp.isfile(path):
        raise FileNotFoundError(f'config {path} does not exist; give the path of a config '
                                f'file (the configs live under configs/, e.g. '
                                f'configs/vitok/s-b_16_256p.py).')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_inference_model(cfg: Config, checkpoint: Optional[str] = None) -> nn.Module:
    """The config's ``model`` on the CPU in eval mode, with ``checkpoint``'s weights.

    Without ``checkpoint`` the weights are the random initialisation.

    Raises:
        FileNotFoundError: no file at ``checkpoint``.
        vitok_mm.utils.CheckpointError: the file is no checkpoint, or its keys or shapes
            do not fit the model (strict loading).
    """
    from vitok_mm.models.builder import build_model
    from vitok_mm.utils import register_all_modules
    register_all_modules()  # callers go on to build datasets and transforms by bare names
    return build_model(cfg.model, checkpoint)


def load_view(path: str, size: int) -> torch.Tensor:
    """The evaluation view of an image file (short side resized to ``size``, center
    crop), as the configs' test pipelines make it: uint8 ``(3, size, size)``.

    Raises:
        vitok_mm.datasets.CorruptSampleError: the file cannot be decoded; names it.
    """
    from vitok_mm.registry import TRANSFORMS
    # Built from vitok_mm's registry by name, whatever the current default scope is.
    pipeline = Compose([TRANSFORMS.build(t) for t in (
        dict(type='LoadImage', exif_orientation=True), dict(type='ResizeShortSide', size=size),
        dict(type='CenterCrop', crop_size=size), dict(type='PackInputs'))])
    return pipeline(dict(img_path=path))['inputs']


@torch.no_grad()
def reconstruct_images(model: nn.Module, paths: Sequence[str],
                       size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """The images' :func:`load_view` through the model's data preprocessor, and their
    reconstructions clamped to [-1, 1]: two ``(N, 3, size, size)`` tensors.

    Raises:
        vitok_mm.datasets.CorruptSampleError: as :func:`load_view`.
    """
    views: List[torch.Tensor] = [load_view(path, size) for path in paths]
    # The model's own data preprocessor turns uint8 into its input pixels.
    batch = model.data_preprocessor(dict(inputs=views), False)['inputs']
    return batch, model.reconstruct(batch).clamp(-1, 1)


__all__ = ['build_inference_model', 'load_inference_config', 'load_view',
           'reconstruct_images']
