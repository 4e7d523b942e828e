"""Whole video files in and out: decord reads every frame, OpenCV writes FFV1.

FFV1 in Matroska (``.mkv``) is lossless, so a written reconstruction holds exactly the
pixels that were scored, and decord reads it back.
"""
import os
import os.path as osp
from typing import Tuple

import numpy as np

#: Container and codec of written videos (lossless, readable by decord).
VIDEO_OUTPUT_EXTENSION = '.mkv'
VIDEO_OUTPUT_CODEC = 'FFV1'


def read_video(path: str) -> Tuple[np.ndarray, float]:
    """Every frame of a video file, ``(T, H, W, 3)`` uint8, and its frame rate.

    Raises:
        FileNotFoundError: no file at ``path``.
        vitok_mm.datasets.CorruptSampleError: decord cannot decode it; names it.
    """
    from vitok_mm.datasets import CorruptSampleError
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist.')
    import decord
    try:
        reader = decord.VideoReader(path, num_threads=1)
        fps = float(reader.get_avg_fps())
        frames = reader.get_batch(list(range(len(reader)))).asnumpy()
    except Exception as error:  # decord raises its own DECORDError / RuntimeError
        reason = f'decord cannot decode it ({error})'.split('\n')[0]
        raise CorruptSampleError(path, reason) from error
    if frames.ndim != 4 or frames.shape[-1] != 3 or not len(frames):
        raise CorruptSampleError(path, f'decoded to an array of shape {frames.shape}')
    return frames, fps


def write_video(path: str, frames: np.ndarray, fps: float = 25.0) -> None:
    """Write ``(T, H, W, 3)`` uint8 RGB frames losslessly (FFV1; ``path`` should end
    in ``.mkv``)."""
    import cv2
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f'frames must be uint8 (T, H, W, 3), got {frames.dtype} of shape '
                         f'{frames.shape}.')
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*VIDEO_OUTPUT_CODEC),
                             fps if fps > 0 else 25.0, (width, height))
    if not writer.isOpened():
        raise ValueError(f'OpenCV cannot write {path} with the {VIDEO_OUTPUT_CODEC} codec; '
                         f'write to a {VIDEO_OUTPUT_EXTENSION} file.')
    try:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))  # OpenCV wants BGR
    finally:
        writer.release()


__all__ = ['VIDEO_OUTPUT_CODEC', 'VIDEO_OUTPUT_EXTENSION', 'read_video', 'write_video']
