"""Kinetics-400/600/700: the official CSV annotations and downloaded clip folders."""
import csv
import os.path as osp
from typing import List

from mmengine.logging import print_log

from vitok_mm.registry import DATASETS

from .file_list import DATA_DOCS
from .video_dataset import VideoDataset

MISSING_POLICIES = ('raise', 'skip')


@DATASETS.register_module()
class Kinetics(VideoDataset):
    """Kinetics clips named by the official CSV (``label,youtube_id,time_start,time_end,
    split``), stored as the common downloaders do::

        data_root/annotations/train.csv                            (ann_file)
        data_root/train/<label>/<youtube_id>_<start:06d>_<end:06d>.mp4   (data_prefix)

    Args:
        ann_file: the CSV of the subset.
        data_prefix: the clip folder of the subset.
        missing: YouTube takedowns leave every copy of Kinetics with absent clips:
            ``'skip'`` (default) drops them and logs how many, ``'raise'`` names the
            first one.
        **kwargs: :class:`VideoDataset`'s.

    Labels are indices into the sorted class names of the CSV (``classes``).
    """

    def __init__(self, data_root: str = 'data/kinetics700',
                 ann_file: str = 'annotations/train.csv', data_prefix: str = 'train',
                 missing: str = 'skip', **kwargs):
        if missing not in MISSING_POLICIES:
            raise ValueError(f'missing must be one of {MISSING_POLICIES}, got {missing!r}.')
        self.missing = missing
        kwargs.setdefault('name', 'Kinetics')
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise self._missing(self.ann_file, 'annotation CSV')
        with open(self.ann_file, newline='') as f:
            rows = list(csv.DictReader(f))
        needed = {'label', 'youtube_id', 'time_start', 'time_end'}
        if not rows or not needed <= set(rows[0]):
            raise ValueError(f'{self.ann_file}: expected a CSV with columns {sorted(needed)}, '
                             f'got {sorted(rows[0]) if rows else "no rows"}.')
        self.classes = sorted({row['label'] for row in rows})
        index = {name: i for i, name in enumerate(self.classes)}
        folder = self.data_folder
        data_list, absent = [], []
        for row in rows:
            name = (f"{row['youtube_id']}_{int(float(row['time_start'])):06d}_"
                    f"{int(float(row['time_end'])):06d}.mp4")
            path = osp.join(folder, row['label'], name)
            if not osp.isfile(path):
                absent.append(path)
                continue
            data_list.append(dict(video_path=path, label=index[row['label']]))
        if absent and (self.missing == 'raise' or not data_list):
            fix = ("set missing='skip' to train on the clips that are there"
                   if data_list else f'point data_root / data_prefix at the clips ({DATA_DOCS})')
            raise FileNotFoundError(
                f'{self.name}: {len(absent)} of {len(rows)} clips listed in {self.ann_file} are '
                f'absent, e.g. {absent[0]}; {fix}.')
        if absent:
            print_log(f'{self.name}: {len(absent)} of {len(rows)} clips in {self.ann_file} are '
                      f'absent and skipped (e.g. {absent[0]}).', logger='current', level=30)
        return data_list
