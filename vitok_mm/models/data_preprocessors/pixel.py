"""Batching pixels onto the model's device, scaled to [-1, 1]."""
from typing import Union

import torch
from mmengine.model import BaseDataPreprocessor

from vitok_mm.registry import MODELS


@MODELS.register_module()
class PixelPreprocessor(BaseDataPreprocessor):
    """Stack ``inputs`` (uint8 ``(C, H, W)`` images or ``(C, T, H, W)`` clips), move them
    to the model's device and map ``[0, 255]`` to ``[-1, 1]`` in float32.

    Returns ``dict(inputs=(N, C, [T,] H, W) float tensor, data_samples=list)``.
    """

    def __init__(self, scale: float = 127.5, offset: float = 1.0, non_blocking: bool = True):
        super().__init__(non_blocking=non_blocking)
        self.scale = scale
        self.offset = offset

    def forward(self, data: Union[dict, list], training: bool = False) -> dict:
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) > 1:
                raise ValueError(
                    f'cannot batch inputs of different shapes {sorted(shapes)}; crop or resize '
                    'every sample to one size in the data pipeline.')
            inputs = torch.stack(list(inputs))
        inputs = inputs.to(self.device, non_blocking=self._non_blocking)
        pixels = inputs.float() / self.scale - self.offset
        return dict(inputs=pixels, data_samples=data.get('data_samples'))
