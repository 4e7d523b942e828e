"""Geometric transforms: random resized crop (training), short-side resize and center crop
(evaluation), flips. Each takes an image ``(H, W, C)`` or a clip ``(T, H, W, C)``; a clip's
frames all get the same crop, resize and flip."""
import math
from typing import Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms import CenterCrop as MMCVCenterCrop
from mmcv.transforms import RandomFlip as MMCVRandomFlip

from vitok_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CenterCrop(MMCVCenterCrop):
    """mmcv's ``CenterCrop`` (``crop_size`` int or (w, h)), also for clips ``(T, H, W, C)``.
    A clip smaller than the crop keeps its size on that side."""

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 4:
            return super().transform(results)
        crop_w, crop_h = self.crop_size
        height, width = img.shape[1:3]
        crop_h, crop_w = min(crop_h, height), min(crop_w, width)
        top = max(0, int(round((height - crop_h) / 2.)))
        left = max(0, int(round((width - crop_w) / 2.)))
        results['img'] = img[:, top:top + crop_h, left:left + crop_w]
        results['img_shape'] = (crop_h, crop_w)
        return results


@TRANSFORMS.register_module()
class RandomFlip(MMCVRandomFlip):
    """mmcv's ``RandomFlip`` (``prob``, ``direction``), also for clips ``(T, H, W, C)``:
    one draw per clip, so every frame is flipped or none is."""

    def _flip(self, results: dict) -> None:
        img = results['img']
        if img.ndim != 4:
            return super()._flip(results)
        direction = results['flip_direction']
        axes = {'horizontal': (2, ), 'vertical': (1, ), 'diagonal': (1, 2)}[direction]
        results['img'] = np.flip(img, axis=axes)


def resize(img: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resize (H, W, C) to ``size = (h, w)``: area averaging when shrinking (no aliasing),
    bicubic when enlarging. A clip (T, H, W, C) is resized frame by frame."""
    if img.ndim == 4:
        return np.stack([resize(frame, size) for frame in img])
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

    The paper's training crop uses ``scale=(0.8, 1.0)``. When 10 tries find no box
    inside the image, takes the centred box of the whole image with its aspect ratio
    clamped to ``ratio``. Shapes: ``img (H, W, C)`` -> ``(h, w, C)`` with ``(h, w) =
    size`` (an int: square); a clip ``(T, H, W, C)`` -> ``(T, h, w, C)``, one box for all
    frames.
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
        clip = img.ndim == 4
        top, left, h, w = self.crop_box(*img.shape[1:3] if clip else img.shape[:2])
        box = (slice(top, top + h), slice(left, left + w))
        results['img'] = resize(img[(slice(None), ) + box] if clip else img[box], self.size)
        results['img_shape'] = self.size
        return results


@TRANSFORMS.register_module()
class ResizeShortSide(BaseTransform):
    """Resize so that the shorter side is ``size``, keeping the aspect ratio (the longer
    side rounded): ``img (H, W, C)`` -> ``(h, w, C)``, a clip ``(T, H, W, C)`` frame by frame.

    With a following ``CenterCrop`` this is the evaluation view: the same for real and
    reconstructed images.
    """

    def __init__(self, size: int):
        if size < 1:
            raise ValueError(f'size must be positive, got {size}.')
        self.size = int(size)

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[1:3] if img.ndim == 4 else img.shape[:2]
        scale = self.size / min(height, width)
        shape = (max(self.size, round(height * scale)), max(self.size, round(width * scale)))
        results['img'] = resize(img, shape)
        results['img_shape'] = shape
        return results
