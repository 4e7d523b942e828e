"""UCF-101 in its official layout: class folders of .avi clips and the split lists."""
import os.path as osp
from typing import List

from vitok_mm.registry import DATASETS

from .video_dataset import VideoDataset


@DATASETS.register_module()
class UCF101(VideoDataset):
    """UCF-101 (13,320 clips, 101 classes), as distributed::

        data_root/
          UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi ...   (video_prefix)
          ucfTrainTestlist/classInd.txt                              (split_prefix)
          ucfTrainTestlist/trainlist01.txt  testlist01.txt ... 03

    Args:
        split: the official split, 1, 2 or 3.
        subset: ``'train'`` (``trainlistNN.txt``) or ``'test'`` (``testlistNN.txt``).
        video_prefix, split_prefix: the two folders above.
        **kwargs: :class:`VideoDataset`'s (pipeline, bad_sample, ...).

    Labels are 0-based class indices from ``classInd.txt`` (kept for class-conditional
    generation); ``classes`` lists the names.
    """

    def __init__(self, data_root: str = 'data/ucf101', split: int = 1, subset: str = 'train',
                 video_prefix: str = 'UCF-101', split_prefix: str = 'ucfTrainTestlist',
                 **kwargs):
        if split not in (1, 2, 3):
            raise ValueError(f'UCF-101 has official splits 1, 2 and 3, got {split!r}.')
        if subset not in ('train', 'test'):
            raise ValueError(f"subset must be 'train' or 'test', got {subset!r}.")
        self.split, self.subset, self.split_prefix = split, subset, split_prefix
        kwargs.setdefault('name', f'UCF-101 ({subset}, split {split})')
        super().__init__(data_root=data_root, data_prefix=video_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        lists = osp.join(self.data_root, self.split_prefix)
        class_file = osp.join(lists, 'classInd.txt')
        if not osp.isfile(class_file):
            raise self._missing(class_file, 'class list')
        self.classes = []
        with open(class_file) as f:
            for line in f:
                if line.strip():
                    number, name = line.split()
                    if int(number) != len(self.classes) + 1:
                        raise ValueError(f'{class_file}: expected class {len(self.classes) + 1} '
                                         f'next, got {line.strip()!r}.')
                    self.classes.append(name)
        index = {name: i for i, name in enumerate(self.classes)}
        split_file = osp.join(lists, f'{self.subset}list0{self.split}.txt')
        folder = self.data_folder
        if not osp.isdir(folder):
            raise self._missing(folder, 'video folder')
        data_list = []
        for item in self.parse_list_file(split_file, folder):
            # testlists carry no label: the class folder names it (trainlists agree).
            name = osp.basename(osp.dirname(item['video_path']))
            if name not in index:
                raise ValueError(f'{split_file}: {item["video_path"]!r} is in no class of '
                                 f'{class_file}.')
            item['label'] = index[name]
            data_list.append(item)
        return data_list
