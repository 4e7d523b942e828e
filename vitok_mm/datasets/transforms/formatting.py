"""Packing a sample for the data preprocessor."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from vitok_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackInputs(BaseTransform):
    """``img (H, W, C)`` uint8 -> ``inputs (C, H, W)`` uint8 tensor, plus metadata.

    Video clips ``(T, H, W, C)`` become ``(C, T, H, W)``. The keys in ``meta_keys``
    that the sample has become the metainfo of ``data_samples``, an MMEngine
    ``BaseDataElement`` (collation keeps it whole); the data preprocessor scales pixels
    to [-1, 1] on the model's device.
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_path', 'video_path', 'frame_inds',
                                                   'ori_shape', 'img_shape', 'label',
                                                   'sample_idx')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        # Channels first, as one writable copy (a dataset's image cache is read-only).
        tensor = torch.from_numpy(np.ascontiguousarray(np.moveaxis(img, -1, 0)))
        meta = {key: results[key] for key in self.meta_keys if key in results}
        return dict(inputs=tensor, data_samples=BaseDataElement(metainfo=meta))
