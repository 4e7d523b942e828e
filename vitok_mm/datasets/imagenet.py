"""ImageNet-1K in its usual layouts."""
import os
import os.path as osp
from typing import Dict

from vitok_mm.registry import DATASETS

from .image_dataset import ImageDataset


@DATASETS.register_module()
class ImageNet(ImageDataset):
    """ImageNet-1K: ``<data_root>/<split>/<wnid>/*.JPEG`` (class folders), or a list file.

    Args:
        data_root: e.g. ``'data/imagenet'``.
        split: ``'train'`` or ``'val'``; the image folder under ``data_root``.
        ann_file: optional ``meta/train.txt``-style list (``relative/path.JPEG label``),
            relative to ``data_root``; paths in it are relative to the split folder.

    Labels are the class folder's index in sorted order (for class-conditional
    generators); the tokenizer ignores them.
    """

    def __init__(self, data_root: str = 'data/imagenet', split: str = 'train',
                 ann_file: str = '', **kwargs):
        self.split = split
        self._class_index: Dict[str, int] = {}
        kwargs.setdefault('name', f'ImageNet ({split})')
        super().__init__(data_root=data_root, data_prefix=split, ann_file=ann_file, **kwargs)

    def load_data_list(self) -> list:
        folder = self.data_folder
        if not self.ann_file and osp.isdir(folder):
            classes = sorted(d for d in os.listdir(folder) if osp.isdir(osp.join(folder, d)))
            self._class_index = {name: index for index, name in enumerate(classes)}
        return super().load_data_list()

    def label_of(self, relative_path: str) -> int:
        return self._class_index.get(relative_path.split(osp.sep)[0], -1)
