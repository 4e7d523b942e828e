"""Image sets too large for a file system listing, streamed from WebDataset tar shards."""
import random
from typing import Callable, Optional, Sequence, Union

from mmengine.dataset import Compose
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from torch.utils.data import IterableDataset

from vitok_mm.registry import DATASETS

from .file_list import BAD_SAMPLE_POLICIES
from .transforms import CorruptSampleError


@DATASETS.register_module()
class WebDatasetImages(IterableDataset):
    """Stream images from tar shards (``train-{000000..000999}.tar``) with ``webdataset``.

    Shards are drawn at random with replacement, by a generator seeded from
    ``(seed, process rank, data-loader worker)``, so the stream is endless, repeatable
    and DDP-safe (use ``sampler=None`` in the dataloader). A shuffle buffer mixes
    samples across shards.

    Args:
        urls: shard spec, brace-expanded (a str) or a list of paths/URLs.
        pipeline: transforms; the first should be ``LoadImage`` (it decodes ``img_bytes``).
        image_keys: file extensions inside a sample to take the image from, in order.
        shuffle_buffer: samples held for shuffling (0: none).
        bad_sample: ``'raise'`` or ``'skip'`` a sample that will not decode, as for
            :class:`ImageDataset` (the count is ``num_skipped``).
        seed: seed of the shard draw and sample shuffling (``None``: a new order each run).

    Items: the pipeline applied to ``dict(img_bytes=..., img_path='<shard>:<key>')``;
    with ``LoadImage`` and ``PackInputs`` the inputs are ``(3, H, W)`` uint8 images.

    Resuming a stream restarts the shard draw: the data order after a resume differs
    from an uninterrupted run (the iteration count, schedule and states do not).
    """

    def __init__(self, urls: Union[str, Sequence[str]],
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 image_keys: Sequence[str] = ('jpg', 'jpeg', 'png', 'webp'),
                 shuffle_buffer: int = 1000, bad_sample: str = 'raise',
                 seed: Optional[int] = 0):
        try:
            import webdataset  # noqa: F401
        except ImportError as error:
            raise ImportError('WebDatasetImages needs the `webdataset` package: '
                              'pip install webdataset') from error
        if bad_sample not in BAD_SAMPLE_POLICIES:
            raise ValueError(f"bad_sample must be 'raise' or 'skip', got {bad_sample!r}.")
        self.urls = urls
        self.pipeline = Compose(list(pipeline))
        self.image_keys = tuple(image_keys)
        self.shuffle_buffer = shuffle_buffer
        self.bad_sample = bad_sample
        self.seed = seed
        self.num_skipped = 0
        self.metainfo = dict(urls=str(urls))

    def _stream(self):
        import webdataset as wds

        # Shards are drawn with replacement from a generator seeded by (seed, rank,
        # worker): each process and worker reads its own stream, repeatably.
        # seed=None draws a fresh order on every start.
        stages = [wds.ResampledShards(self.urls, seed=self.seed or 0,
                                      deterministic=self.seed is not None),
                  wds.tarfile_to_samples()]
        if self.shuffle_buffer:
            rank, _ = get_dist_info()
            rng = random.Random(None if self.seed is None else f'{self.seed}-{rank}')
            stages.append(wds.shuffle(self.shuffle_buffer, rng=rng))
        return wds.DataPipeline(*stages)

    def __iter__(self):
        for sample in self._stream():
            key = next((k for k in self.image_keys if k in sample), None)
            name = f"{sample.get('__url__', '?')}:{sample.get('__key__', '?')}"
            if key is None:
                error = CorruptSampleError(name, f'no image among keys {sorted(sample)}')
            else:
                try:
                    yield self.pipeline(dict(img_bytes=sample[key], img_path=name))
                    continue
                except CorruptSampleError as caught:
                    error = caught
            if self.bad_sample == 'raise':
                raise CorruptSampleError(error.path, f"{error.reason}. Set bad_sample='skip' to "
                                         'skip such samples.')
            self.num_skipped += 1
            print_log(f'WebDatasetImages: skipped {error} ({self.num_skipped} so far)',
                      logger='current', level=30)
