"""COCO-2017 images (annotations are not needed to train or evaluate a tokenizer)."""
from vitok_mm.registry import DATASETS

from .image_dataset import ImageDataset


@DATASETS.register_module()
class COCOImages(ImageDataset):
    """The images of a COCO-2017 split: ``<data_root>/<split>/*.jpg`` (flat folder).

    ``split='val2017'`` (5000 images) is the paper's second evaluation set.
    """

    def __init__(self, data_root: str = 'data/coco', split: str = 'val2017', **kwargs):
        kwargs.setdefault('name', f'COCO {split}')
        super().__init__(data_root=data_root, data_prefix=split, recursive=False, **kwargs)
