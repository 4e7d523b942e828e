"""Decoding image files (any common mode) to 8-bit RGB."""
import io
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image, ImageOps, UnidentifiedImageError

from vitok_mm.registry import TRANSFORMS


class CorruptSampleError(RuntimeError):
    """A file that cannot be decoded. ``path`` names it; datasets apply their bad-sample policy."""

    def __init__(self, path: str, reason: str):
        super().__init__(f'cannot decode {path}: {reason}')
        self.path = path
        self.reason = reason


def to_rgb8(image: Image.Image, background: int = 255) -> np.ndarray:
    """An (H, W, 3) uint8 RGB array from a PIL image of any mode.

    Grayscale and palette images are expanded, transparency (RGBA, LA, palette with
    a transparent colour) is composited over a ``background`` grey level, CMYK is
    converted, and 16/32-bit images are rescaled to 8 bits rather than clipped.
    """
    mode = image.mode
    if mode in ('I;16', 'I;16B', 'I;16L', 'I', 'F'):
        array = np.asarray(image, dtype=np.float64)
        if mode.startswith('I;16') or (mode == 'I' and image.format == 'PNG'):
            top = 65535.0  # 16-bit formats: scale by the format's range, not the content
        elif mode == 'F' and array.max() <= 1.0:
            top = 1.0
        else:
            top = 65535.0 if array.max() > 255 else 255.0
        array = np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(array[..., None], 3, axis=2)
    if mode == 'P' and 'transparency' in image.info:
        image = image.convert('RGBA')
    if mode in ('RGBA', 'LA', 'PA') or image.mode == 'RGBA':
        rgba = image.convert('RGBA')
        canvas = Image.new('RGBA', rgba.size, (background, background, background, 255))
        image = Image.alpha_composite(canvas, rgba)
    return np.asarray(image.convert('RGB'), dtype=np.uint8).copy()


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Read ``results['img_path']`` (or decode ``results['img_bytes']``) as 8-bit RGB.

    Adds ``img`` (H, W, 3) uint8, ``img_shape`` and ``ori_shape`` (H, W); a sample that
    already holds a decoded ``img`` (a dataset's image cache) passes through.
    Raises :class:`CorruptSampleError` naming the file when it cannot be decoded;
    the dataset's ``bad_sample`` policy decides what happens next.

    Args:
        exif_orientation: turn the image as its EXIF orientation tag says, so that it is
            the picture every viewer displays (a phone photo shot in portrait). Off by
            default for training and evaluation data, as ImageNet-style loaders
            (torchvision's ``ImageFolder``, the paper's) read the stored pixels: results
            stay comparable with published ones. The Tokenizer API, the CLI and folder
            scoring turn it on: a user's photo comes back as it is displayed.
    """

    def __init__(self, exif_orientation: bool = False):
        super().__init__()
        self.exif_orientation = exif_orientation

    def transform(self, results: dict) -> Optional[dict]:
        if 'img' in results:
            results.setdefault('img_shape', results['img'].shape[:2])
            results.setdefault('ori_shape', results['img'].shape[:2])
            return results
        path = results.get('img_path', '<bytes>')
        try:
            if 'img_bytes' in results:
                image = Image.open(io.BytesIO(results.pop('img_bytes')))
            else:
                image = Image.open(path)
            image.load()  # decode now: truncated files fail here, not later
            if self.exif_orientation:
                image = ImageOps.exif_transpose(image)
            img = to_rgb8(image)
        except (OSError, ValueError, UnidentifiedImageError, SyntaxError,
                Image.DecompressionBombError) as error:
            raise CorruptSampleError(str(path), str(error) or type(error).__name__) from error
        if img.shape[0] == 0 or img.shape[1] == 0:
            raise CorruptSampleError(str(path), 'image has zero size')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
