"""Images under a folder or named by a list file, optionally kept decoded in memory."""
from typing import List, Sequence

from vitok_mm.registry import DATASETS

from .file_list import FileListDataset, find_files
from .transforms import LoadImage

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')


def find_images(folder: str, recursive: bool = True,
                extensions: Sequence[str] = IMAGE_EXTENSIONS) -> List[str]:
    """Sorted image paths under ``folder`` (relative to it)."""
    return find_files(folder, extensions, recursive)


@DATASETS.register_module()
class ImageDataset(FileListDataset):
    """Every image under a folder (recursively by default), or the images of a list file.

    Args:
        data_root: root of the dataset.
        data_prefix: sub-folder holding the images, e.g. ``'train'`` (a str, or
            MMEngine's ``dict(img_path=...)``).
        ann_file: optional list file (one relative path per line, optionally
            followed by an integer label) instead of a folder walk.
        pipeline: transforms, e.g. ``LoadImage``, ``RandomResizedCrop``, ``PackInputs``.
        bad_sample: ``'raise'`` stops at a file that cannot be decoded, naming it;
            ``'skip'`` logs it, counts it and draws another sample.
        recursive: walk sub-folders.
        name: what to call the data in error messages (``'ImageNet'``).
        cache_images: keep every decoded image in memory after its first use (for
            small sets such as the quickstart's photos, where decoding dominates); the
            entry then carries ``img`` (``(H, W, 3)`` uint8 RGB, read-only) and
            ``LoadImage`` does not read the file again.
        **kwargs: :class:`FileListDataset`'s (``max_refetch``) and MMEngine's
            ``BaseDataset``'s (``test_mode``, ``indices``, ...).

    Items: whatever the pipeline makes of ``dict(img_path=..., label=...)``; with
    ``LoadImage`` and ``PackInputs`` the inputs are ``(3, H, W)`` uint8 images. The
    index may be ``(index, seed)``, as :class:`ResumableInfiniteSampler` yields, to run
    the pipeline's randomness from that seed.
    """

    path_key = 'img_path'
    extensions = IMAGE_EXTENSIONS
    kind = 'image'

    def __init__(self, *args, cache_images: bool = False, **kwargs):
        self.cache_images = cache_images
        self._image_cache: dict = {}
        super().__init__(*args, **kwargs)

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if self.cache_images:
            if idx not in self._image_cache:
                # The pipeline's own loader (its exif_orientation), else the default.
                loader = next((t for t in getattr(self.pipeline, 'transforms', ())
                               if isinstance(t, LoadImage)), LoadImage())
                img = loader.transform(dict(img_path=info['img_path']))['img']
                img.setflags(write=False)  # shared between draws: transforms must copy
                self._image_cache[idx] = img
            info['img'] = self._image_cache[idx]
        return info
