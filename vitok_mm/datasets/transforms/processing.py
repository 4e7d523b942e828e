"""Geometric transforms: random resized crop (training), short-side resize (evaluation)."""
import math
from typing import Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform, CenterCrop, RandomFlip

from vitok_mm.registry import TRANSFORMS

# mmcv's own implementations, reachable by type name under default_scope='vitok_mm'.
TRANSFORMS.register_module(module=CenterCrop)
TRANSFORMS.register_module(module=RandomFlip)


def resize(img: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resize (H, W, C) to ``size = (h, w)``: area averaging when shrinking (no aliasing),
    bicubic when enlarging."""
    h, w = size
    shrink = h < img.shape[0] or w < img.shape[1]
    out = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    return out.reshape(h, w, *img.shape[2:])


def _pair(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if len(size) != 2:
        raise ValueError(f'size must be an int or (h, w), got {size}.')
    return int(size[0]), int(size[1])


@TRANSFORMS.register_module()
class RandomResizedCrop(BaseTransform):
    """Crop a random area fraction and aspect ratio, then resize to ``size``.

    The paper's training crop uses ``scale=(0.8, 1.0)``. Falls back to a center
    crop of the largest allowed ratio when 10 tries find no valid box.
    Shapes: ``img (H, W, C)`` -> ``(size, size, C)``.
    """

    def __init__(self, size: Union[int, Sequence[int]], scale: Sequence[float] = (0.8, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3)):
        self.size = _pair(size)
        if not 0 < scale[0] <= scale[1] <= 1:
            raise ValueError(f'scale must satisfy 0 < low <= high <= 1, got {scale}.')
        if not 0 < ratio[0] <= ratio[1]:
            raise ValueError(f'ratio must satisfy 0 < low <= high, got {ratio}.')
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)

    def crop_box(self, height: int, width: int) -> Tuple[int, int, int, int]:
        """(top, left, h, w) of a random crop, drawn from numpy's global generator."""
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * np.random.uniform(*self.scale)
            aspect = math.exp(np.random.uniform(*log_ratio))
            w = int(round(math.sqrt(target * aspect)))
            h = int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return (np.random.randint(0, height - h + 1), np.random.randint(0, width - w + 1),
                        h, w)
        aspect = width / height
        if aspect < self.ratio[0]:
            w, h = width, int(round(width / self.ratio[0]))
        elif aspect > self.ratio[1]:
            h, w = height, int(round(height * self.ratio[1]))
        else:
            h, w = height, width
        return (height - h) // 2, (width - w) // 2, h, w

    def transform(self, results: dict) -> dict:
        img = results['img']
        top, left, h, w = self.crop_box(*img.shape[:2])
        results['img'] = resize(img[top:top + h, left:left + w], self.size)
        results['img_shape'] = self.size
        return results


@TRANSFORMS.register_module()
class ResizeShortSide(BaseTransform):
    """Resize so that the shorter side is ``size``, keeping the aspect ratio.

    With a following ``CenterCrop`` this is the evaluation view: the same for real and
    reconstructed images.
    """

    def __init__(self, size: int):
        if size < 1:
            raise ValueError(f'size must be positive, got {size}.')
        self.size = int(size)

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        scale = self.size / min(height, width)
        shape = (max(self.size, round(height * scale)), max(self.size, round(width * scale)))
        results['img'] = resize(img, shape)
        results['img_shape'] = shape
        return results
