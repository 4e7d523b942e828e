"""Colour augmentation for tokenizer training: an auto-encoder must give back whatever
colours come in, and a handful of training photos teach it a handful of palettes (held-out
photos then come back with another photo's cast). Permuting the colour channels shows
every training picture in other colours, at no cost in realism of texture and shape."""
from itertools import permutations

import numpy as np
from mmcv.transforms import BaseTransform

from vitok_mm.registry import TRANSFORMS

#: The five orders of (R, G, B) other than the identity.
CHANNEL_ORDERS = [order for order in permutations(range(3)) if order != (0, 1, 2)]


@TRANSFORMS.register_module()
class RandomChannelPermute(BaseTransform):
    """With probability ``prob``, reorder the colour channels by one of the five other
    orders of (R, G, B), drawn uniformly (from numpy's global generator, as the other
    random transforms). Shapes: ``img (H, W, 3)`` or a clip ``(T, H, W, 3)`` (one order
    for all its frames) -> the same.
    """

    def __init__(self, prob: float = 0.5):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}.')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.shape[-1] != 3:
            raise ValueError(f'RandomChannelPermute takes 3-channel images, got shape '
                             f'{img.shape}.')
        if np.random.rand() < self.prob:
            order = CHANNEL_ORDERS[np.random.randint(len(CHANNEL_ORDERS))]
            results['img'] = np.ascontiguousarray(img[..., list(order)])
        return results
