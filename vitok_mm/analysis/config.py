"""What a config says about the input its model runs on, for the analysis tools."""
from typing import Optional, Sequence, Tuple

from mmengine.config import Config

#: Pixel channels of every ViTok input (RGB).
INPUT_CHANNELS = 3


def input_shape_of(cfg: Config, shape: Optional[Sequence[int]] = None) -> Tuple[int, ...]:
    """One sample's ``(C, H, W)`` / ``(C, T, H, W)``, from ``shape`` or ``cfg.input_shape``.

    Args:
        cfg: a config; its ``input_shape`` is used when ``shape`` is not given.
        shape: ``(H, W)`` for images or ``(T, H, W)`` for video (a tool's ``--shape``).

    Raises:
        ValueError: ``shape`` has the wrong length or a non-positive size, or neither
            ``shape`` nor ``cfg.input_shape`` is given. Tools turn it into an exit message.
    """
    if shape:
        shape = tuple(int(s) for s in shape)
        if len(shape) not in (2, 3) or min(shape) < 1:
            raise ValueError(
                f'--shape takes H W (image) or T H W (video), all positive; got {list(shape)}.')
        return (INPUT_CHANNELS, *shape)
    if 'input_shape' not in cfg:
        raise ValueError('The config has no `input_shape`; pass --shape H W (or T H W).')
    return tuple(cfg.input_shape)
