"""Video clips with decord: frame-index sampling, decoding, and images as still clips."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from vitok_mm.registry import TRANSFORMS

from .loading import CorruptSampleError

SHORT_CLIP_POLICIES = ('raise', 'loop', 'pad')


def sample_frame_indices(total: int, num_frames: int, stride: int, start: Optional[int] = None,
                         short_clip: str = 'raise', path: str = '') -> np.ndarray:
    """Indices of ``num_frames`` frames ``stride`` apart in a video of ``total`` frames.

    ``start=None`` centres the clip (evaluation); training passes a random start in
    ``[0, total - span]`` with ``span = (num_frames - 1) * stride + 1``. A video shorter
    than the span raises :class:`CorruptSampleError` (``short_clip='raise'``), repeats
    from its first sampled frame (``'loop'``), or repeats its last frame (``'pad'``).
    """
    if num_frames < 1 or stride < 1:
        raise ValueError(f'num_frames and stride must be >= 1, got {num_frames} and {stride}.')
    if short_clip not in SHORT_CLIP_POLICIES:
        raise ValueError(f'short_clip must be one of {SHORT_CLIP_POLICIES}, got {short_clip!r}.')
    if total < 1:
        raise CorruptSampleError(path, 'the video has no frames')
    span = (num_frames - 1) * stride + 1
    if span <= total:
        if start is None:
            start = (total - span) // 2
        if not 0 <= start <= total - span:
            raise ValueError(f'start {start} is outside [0, {total - span}].')
        return start + stride * np.arange(num_frames)
    if short_clip == 'raise':
        raise CorruptSampleError(
            path, f'{total} frames, but {num_frames} frames at stride {stride} need {span}; '
            "lower num_frames or the stride, or set short_clip='loop' or 'pad'")
    available = np.arange(0, total, stride)  # every frame the stride reaches
    if short_clip == 'loop':
        return available[np.arange(num_frames) % len(available)]
    return np.concatenate([available, np.full(num_frames - len(available), available[-1])])


@TRANSFORMS.register_module()
class LoadVideo(BaseTransform):
    """Decode a clip of ``results['video_path']`` with decord.

    Adds ``img`` (T, H, W, 3) uint8 (every later spatial transform treats the frames
    alike, so a crop or a flip is the same on all of them), ``frame_inds``,
    ``total_frames``, ``img_shape`` and ``ori_shape``.

    Args:
        num_frames: T (the paper: 16).
        frame_stride: frames between sampled frames...
        fps: ...or a target frame rate instead: stride = round(video fps / fps), >= 1.
        random_start: a random clip start (training); otherwise the centred clip.
        short_clip: a video shorter than the clip: ``'raise'`` (a bad sample, handled
            by the dataset's ``bad_sample`` policy), ``'loop'`` or ``'pad'``.
        num_threads: decord's decoding threads (0: decord's choice).
        keep_time_axis: ``False`` with ``num_frames=1`` gives a single frame as an image
            ``(H, W, 3)``: frames of videos as image training data.

    An unreadable or truncated file raises :class:`CorruptSampleError` naming it.
    """

    def __init__(self, num_frames: int = 16, frame_stride: int = 1, fps: Optional[float] = None,
                 random_start: bool = True, short_clip: str = 'raise', num_threads: int = 1,
                 keep_time_axis: bool = True):
        if num_frames < 1 or frame_stride < 1:
            raise ValueError(f'num_frames and frame_stride must be >= 1, got {num_frames} and '
                             f'{frame_stride}.')
        if fps is not None and fps <= 0:
            raise ValueError(f'fps must be positive, got {fps}.')
        if short_clip not in SHORT_CLIP_POLICIES:
            raise ValueError(f'short_clip must be one of {SHORT_CLIP_POLICIES}, got '
                             f'{short_clip!r}.')
        if not keep_time_axis and num_frames != 1:
            raise ValueError(f'keep_time_axis=False gives one frame as an image; it needs '
                             f'num_frames=1, got {num_frames}.')
        self.keep_time_axis = keep_time_axis
        self.num_frames = num_frames
        self.frame_stride = frame_stride
        self.fps = fps
        self.random_start = random_start
        self.short_clip = short_clip
        self.num_threads = num_threads

    def stride_for(self, video_fps: float) -> int:
        if self.fps is None:
            return self.frame_stride
        return max(1, int(round(video_fps / self.fps)))

    def transform(self, results: dict) -> dict:
        import decord
        path = results['video_path']
        try:
            reader = decord.VideoReader(path, num_threads=self.num_threads)
            total = len(reader)
            stride = self.stride_for(reader.get_avg_fps())
        except Exception as error:  # decord raises its own DECORDError / RuntimeError
            reason = f'decord cannot open it ({error})'.split('\n')[0]
            raise CorruptSampleError(path, reason) from error
        span = (self.num_frames - 1) * stride + 1
        start = None
        if self.random_start and span <= total:
            start = int(np.random.randint(0, total - span + 1))
        indices = sample_frame_indices(total, self.num_frames, stride, start, self.short_clip,
                                       path)
        try:
            frames = reader.get_batch(indices.tolist()).asnumpy()
        except Exception as error:
            raise CorruptSampleError(
                path, f'decoding frames {indices[0]}..{indices[-1]} failed, the file may be '
                f'truncated or in a format decord cannot read ({error})'.split('\n')[0]
            ) from error
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise CorruptSampleError(path, f'decoded to an array of shape {frames.shape}')
        if not self.keep_time_axis:
            frames = frames[0]
        results.update(img=frames, frame_inds=indices, total_frames=total,
                       img_shape=frames.shape[-3:-1], ori_shape=frames.shape[-3:-1])
        return results


@TRANSFORMS.register_module()
class ImageToVideo(BaseTransform):
    """An image as a still clip: ``img (H, W, C) -> (T, H, W, C)``, the frame repeated
    ``num_frames`` times. For joint image + video training (the paper replicates images
    over the tubelet depth); with ``num_frames`` equal to the videos' T, images and clips
    share batches. Put it after the spatial transforms (cheaper on one frame)."""

    def __init__(self, num_frames: int):
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}.')
        self.num_frames = num_frames

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        if img.ndim != 3:
            raise ValueError(f'ImageToVideo takes an image (H, W, C), got shape {img.shape}.')
        results['img'] = np.repeat(img[None], self.num_frames, axis=0)
        return results
