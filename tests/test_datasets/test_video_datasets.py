"""Video data on a tiny UCF-101-style tree made with OpenCV: layout, labels, frame
sampling, clip-consistent transforms, bad clips, Kinetics CSVs, joint image + video."""
import csv
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate

from vitok_mm.datasets import (
    UCF101,
    CorruptSampleError,
    FileListDataset,
    ImageDataset,
    Kinetics,
    VideoDataset,
    WeightedMixDataset,
    sample_frame_indices,
)
from vitok_mm.datasets.transforms import (
    CenterCrop,
    ImageToVideo,
    LoadVideo,
    RandomFlip,
    RandomResizedCrop,
    ResizeShortSide,
)

FRAMES = 20
H, W = 32, 64  # decord mis-decodes some tiny frame sizes (e.g. 48 wide)


def write_clip(path: Path, frames: int = FRAMES, fps: float = 25.0) -> None:
    """Frame k is a flat grey level 10 * k with a white block in its left half: the
    grey level encodes the frame index, the block shows flips."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), fps, (W, H))
    assert writer.isOpened()
    for k in range(frames):
        frame = np.full((H, W, 3), 10 * k, np.uint8)
        frame[8:24, 4:16] = 255
        writer.write(frame)
    writer.release()


@pytest.fixture(scope='module')
def ucf(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('ucf101')
    classes = ['Archery', 'Biking']
    for c in classes:
        for g in (1, 2, 3):
            write_clip(root / 'UCF-101' / c / f'v_{c}_g0{g}_c01.avi')
    write_clip(root / 'UCF-101' / 'Biking' / 'v_Biking_g04_c01.avi', frames=5)  # too short
    (root / 'UCF-101' / 'Archery' / 'v_Archery_g09_c01.avi').write_bytes(b'RIFF' + os.urandom(600))
    lists = root / 'ucfTrainTestlist'
    lists.mkdir()
    (lists / 'classInd.txt').write_text('1 Archery\n2 Biking\n')
    (lists / 'trainlist01.txt').write_text(
        'Archery/v_Archery_g01_c01.avi 1\nArchery/v_Archery_g02_c01.avi 1\n'
        'Biking/v_Biking_g01_c01.avi 2\nBiking/v_Biking_g02_c01.avi 2\n')
    (lists / 'testlist01.txt').write_text(
        'Archery/v_Archery_g03_c01.avi\nBiking/v_Biking_g03_c01.avi\n'
        'Biking/v_Biking_g04_c01.avi\nArchery/v_Archery_g09_c01.avi\n')
    return root


def test_frame_index_sampling():
    assert sample_frame_indices(20, 4, 3).tolist() == [5, 8, 11, 14]  # centred: span 10
    assert sample_frame_indices(20, 4, 3, start=10).tolist() == [10, 13, 16, 19]
    assert sample_frame_indices(5, 4, 2, short_clip='loop').tolist() == [0, 2, 4, 0]
    assert sample_frame_indices(5, 4, 2, short_clip='pad').tolist() == [0, 2, 4, 4]
    with pytest.raises(CorruptSampleError, match=r'clip.avi: 5 frames, but 4 frames at stride '
                                                 r'2 need 7.*short_clip='):
        sample_frame_indices(5, 4, 2, path='clip.avi')
    with pytest.raises(ValueError, match='outside'):
        sample_frame_indices(20, 4, 3, start=11)


def test_ucf101_split_labels_and_decoded_frames(ucf):
    train = UCF101(data_root=str(ucf), split=1, subset='train', pipeline=[
        dict(type='LoadVideo', num_frames=4, frame_stride=3, random_start=False),
        dict(type='PackInputs')])
    assert train.classes == ['Archery', 'Biking'] and len(train) == 4
    assert [train.get_data_info(i)['label'] for i in range(4)] == [0, 0, 1, 1]
    item = train[0]
    clip = item['inputs']
    assert clip.shape == (3, 4, H, W) and clip.dtype == torch.uint8
    meta = item['data_samples'].metainfo
    assert meta['frame_inds'].tolist() == [5, 8, 11, 14] and meta['label'] == 0
    # The grey level of each decoded frame is 10 x its index (MJPG is lossy: +-3).
    grey = clip[:, :, 28:, 20:].float().mean(dim=(0, 2, 3))
    assert torch.allclose(grey, torch.tensor([50., 80., 110., 140.]), atol=3)

    test = UCF101(data_root=str(ucf), subset='test', pipeline=[])
    assert [test.get_data_info(i)['label'] for i in range(4)] == [0, 1, 1, 0]


def test_fps_sets_the_stride_and_random_start_stays_inside(ucf):
    path = str(ucf / 'UCF-101/Archery/v_Archery_g01_c01.avi')
    loader = LoadVideo(num_frames=4, fps=12.5, random_start=True)  # 25 fps -> stride 2
    starts = set()
    np.random.seed(0)
    for _ in range(30):
        inds = loader.transform(dict(video_path=path))['frame_inds']
        assert np.all(np.diff(inds) == 2) and inds[-1] < FRAMES
        starts.add(int(inds[0]))
    assert starts == set(range(FRAMES - 7 + 1))


def test_single_frames_as_images(ucf):
    path = str(ucf / 'UCF-101/Archery/v_Archery_g01_c01.avi')
    frame = LoadVideo(num_frames=1, random_start=False, keep_time_axis=False).transform(
        dict(video_path=path))
    assert frame['img'].shape == (H, W, 3) and frame['frame_inds'].tolist() == [9]
    with pytest.raises(ValueError, match='needs num_frames=1'):
        LoadVideo(num_frames=2, keep_time_axis=False)


def test_bad_and_short_clips_follow_the_policy(ucf):
    pipeline = [dict(type='LoadVideo', num_frames=8, frame_stride=2), dict(type='PackInputs')]
    strict = UCF101(data_root=str(ucf), subset='test', pipeline=pipeline)
    with pytest.raises(CorruptSampleError, match=r'v_Biking_g04_c01.avi: 5 frames, but 8 '
                                                 r"frames at stride 2 need 15.*bad_sample='skip'"):
        strict[2]
    with pytest.raises(CorruptSampleError, match=r'v_Archery_g09_c01.avi: decord cannot open'):
        strict[3]
    lenient = UCF101(data_root=str(ucf), subset='test', pipeline=pipeline, bad_sample='skip')
    assert lenient[3]['inputs'].shape == (3, 8, H, W) and lenient.num_skipped >= 1
    looping = UCF101(data_root=str(ucf), subset='test', pipeline=[
        dict(type='LoadVideo', num_frames=8, frame_stride=2, short_clip='loop'),
        dict(type='PackInputs')])
    assert looping[2]['data_samples'].metainfo['frame_inds'].tolist() == [0, 2, 4, 0, 2, 4, 0, 2]


def test_spatial_transforms_treat_all_frames_alike(ucf):
    results = LoadVideo(num_frames=6, frame_stride=1, random_start=False).transform(
        dict(video_path=str(ucf / 'UCF-101/Biking/v_Biking_g01_c01.avi')))
    clip = results['img'].copy()
    flipped = RandomFlip(prob=1.0, direction='horizontal').transform(dict(results))['img']
    assert np.array_equal(flipped, clip[:, :, ::-1])
    # One draw per clip: over many draws, every frame is flipped or none is.
    for seed in range(10):
        np.random.seed(seed)
        out = RandomFlip(prob=0.5, direction='horizontal').transform(dict(img=clip))['img']
        same = [np.array_equal(out[t], clip[t]) for t in range(len(clip))]
        assert len(set(same)) == 1
    still = np.repeat(clip[:1], 6, axis=0)  # identical frames stay identical after a crop
    np.random.seed(3)
    cropped = RandomResizedCrop(size=16, scale=(0.2, 0.5)).transform(dict(img=still))['img']
    assert cropped.shape == (6, 16, 16, 3)
    assert all(np.array_equal(cropped[0], f) for f in cropped)
    view = CenterCrop(crop_size=32).transform(
        ResizeShortSide(32).transform(dict(img=clip)))['img']
    assert view.shape == (6, 32, 32, 3)
    image_view = CenterCrop(crop_size=32).transform(
        ResizeShortSide(32).transform(dict(img=clip[2].copy())))['img']
    assert np.array_equal(view[2], image_view)  # the clip path equals the image path


def test_video_folder_and_kinetics_csv(ucf, tmp_path):
    folder = VideoDataset(data_root=str(ucf), data_prefix='UCF-101', label_from_folder=True)
    assert len(folder) == 8 and folder.classes == ['Archery', 'Biking']
    kinetics = tmp_path / 'k700'
    write_clip(kinetics / 'train' / 'abseiling' / 'abc_000010_000020.mp4')
    write_clip(kinetics / 'train' / 'zumba' / 'xyz_000000_000010.mp4')
    (kinetics / 'annotations').mkdir()
    with open(kinetics / 'annotations' / 'train.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['label', 'youtube_id', 'time_start', 'time_end', 'split'])
        writer.writerow(['abseiling', 'abc', 10, 20, 'train'])
        writer.writerow(['zumba', 'xyz', 0, 10, 'train'])
        writer.writerow(['zumba', 'gone', 5, 15, 'train'])  # taken down: never downloaded
    dataset = Kinetics(data_root=str(kinetics))
    assert len(dataset) == 2 and dataset.classes == ['abseiling', 'zumba']
    assert [dataset.get_data_info(i)['label'] for i in range(2)] == [0, 1]
    with pytest.raises(FileNotFoundError, match=r"1 of 3 clips listed in .*train.csv are "
                                                r"absent, e.g. .*zumba/gone_000005_000015.mp4; "
                                                r"set missing='skip'"):
        Kinetics(data_root=str(kinetics), missing='raise').full_init()


def test_videos_are_a_file_list_beside_images_not_a_kind_of_image(ucf):
    assert issubclass(VideoDataset, FileListDataset) and issubclass(ImageDataset, FileListDataset)
    assert not issubclass(VideoDataset, ImageDataset)
    as_dict = VideoDataset(data_root=str(ucf), data_prefix=dict(video_path='UCF-101/Biking'))
    assert as_dict.data_folder == str(ucf / 'UCF-101' / 'Biking')
    assert [os.path.basename(as_dict.get_data_info(i)['video_path'])
            for i in range(len(as_dict))] == [f'v_Biking_g0{g}_c01.avi' for g in (1, 2, 3, 4)]
    with pytest.raises(ValueError, match=r"data_prefix is the folder of the videos, a str or "
                                         r"dict\(video_path=...\), got \{'img_path'"):
        VideoDataset(data_root=str(ucf), data_prefix=dict(img_path='UCF-101'))
    with pytest.raises(ValueError, match='cache_images is for image datasets'):
        VideoDataset(data_root=str(ucf), data_prefix='UCF-101', cache_images=True)
    with pytest.raises(TypeError, match='names no path_key'):
        FileListDataset(data_root=str(ucf))


def test_missing_layout_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'classInd.txt.*does not exist.*Preparing data'):
        UCF101(data_root=str(tmp_path))
    with pytest.raises(ValueError, match='official splits 1, 2 and 3'):
        UCF101(data_root=str(tmp_path), split=4)


def test_images_join_video_batches_as_still_clips(ucf, tmp_path):
    image = np.zeros((64, 128, 3), np.uint8)
    image[:, :64] = 200
    cv2.imwrite(str(tmp_path / 'a.png'), image)
    images = ImageDataset(data_root=str(tmp_path), pipeline=[
        dict(type='LoadImage'), dict(type='ResizeShortSide', size=H),
        dict(type='ImageToVideo', num_frames=4), dict(type='PackInputs')])
    videos = UCF101(data_root=str(ucf), pipeline=[
        dict(type='LoadVideo', num_frames=4), dict(type='PackInputs')])
    mixed = WeightedMixDataset([images, videos], weights=[1, 1])
    samples = [mixed[(i, 1000 + i)] for i in range(8)]
    kinds = {'img_path' in s['data_samples'].metainfo for s in samples}
    assert kinds == {True, False}  # both sources drawn
    batch = default_collate(samples)
    assert batch['inputs'].shape == (8, 3, 4, H, W)
    still = next(s['inputs'] for s in samples if 'img_path' in s['data_samples'].metainfo)
    assert all(torch.equal(still[:, 0], still[:, t]) for t in range(4))
    with pytest.raises(ValueError, match='takes an image'):
        ImageToVideo(3).transform(dict(img=np.zeros((2, 4, 4, 3), np.uint8)))


def test_sample_tree_rebuilt_with_other_settings_leaves_no_stale_clips(tmp_path):
    from vitok_mm.workflows.samples import build_video_sample_folders
    first = build_video_sample_folders(str(tmp_path), segment_frames=40, short_side=32)
    assert len(first['train']) == 5 + 2 + 2 and len(first['test']) == 3  # 250, 120, 132 frames
    second = build_video_sample_folders(str(tmp_path), segment_frames=60, short_side=32)
    on_disk = sorted(str(p.relative_to(tmp_path / 'UCF-101'))
                     for p in (tmp_path / 'UCF-101').rglob('*.avi'))
    assert on_disk == sorted(second['train'] + second['test'])  # bikes 4, others 2 each
    assert len(on_disk) == 8 and not set(second['train']) & set(second['test'])


def test_frames_of_the_clips_not_held_out_become_training_images(tmp_path):
    from vitok_mm.datasets import ImageDataset
    from vitok_mm.workflows.samples import HELD_OUT_CLIPS, build_frame_folder
    folder = build_frame_folder(str(tmp_path), per_clip=4)
    names = sorted(os.listdir(folder))
    images = [n for n in names if n.endswith('.png')]
    assert len(images) == 8 and not any(n.startswith(HELD_OUT_CLIPS) for n in images)
    assert {n.rsplit('_', 1)[0] for n in images} == {'bikes', 'bigbuckbunny'}
    stamp = os.stat(os.path.join(folder, images[0])).st_mtime_ns
    build_frame_folder(str(tmp_path), per_clip=4)  # kept as it is
    assert os.stat(os.path.join(folder, images[0])).st_mtime_ns == stamp
    dataset = ImageDataset(data_root=str(tmp_path), data_prefix='frames',
                           pipeline=[dict(type='LoadImage'), dict(type='PackInputs')])
    assert len(dataset) == 8 and dataset[0]['inputs'].shape[0] == 3
    with pytest.raises(ValueError, match=r"\['carphone_pristine'\] are held out for "
                                         'evaluation'):
        build_frame_folder(str(tmp_path), clips=['bikes', 'carphone_pristine'])
