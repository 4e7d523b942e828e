import io
import itertools
import os
import os.path as osp
import random

import numpy as np
import pytest
import torch
from PIL import Image

from vitok_mm.datasets import (
    COCOImages,
    CorruptSampleError,
    ImageDataset,
    ImageNet,
    ResumableInfiniteSampler,
    WebDatasetImages,
    WeightedMixDataset,
    find_files,
    find_images,
)
from vitok_mm.datasets import samplers as samplers_module
from vitok_mm.datasets.seeding import sample_seed
from vitok_mm.workflows.samples import HELD_OUT_PHOTOS, build_sample_folders, bundled_photos

PACK = [dict(type='LoadImage'), dict(type='PackInputs')]
AUGMENT = [dict(type='LoadImage'),
           dict(type='RandomResizedCrop', size=16, scale=(0.2, 1.0)),
           dict(type='RandomFlip', prob=0.5),
           dict(type='PackInputs')]


def write_image(path, seed: int = 0, size=(24, 32)) -> str:
    """A random-noise RGB image (distinct per seed), written as PNG or JPEG by suffix."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return str(path)


def flat_folder(root, count: int = 4) -> str:
    for i in range(count):
        write_image(root / f'img{i}.png', seed=i)
    return str(root)


# ---------------------------------------------------------------- file lists


@pytest.fixture
def tree(tmp_path):
    """Nested sub-folders with images (one upper-case extension) and non-image files."""
    root = tmp_path / 'tree'
    for i, name in enumerate(['a/x.png', 'a/y.JPG', 'b/c/z.png', 'b/d/w.jpeg']):
        write_image(root / name, seed=i)
    (root / 'a' / 'notes.txt').write_text('not an image')
    (root / 'b' / 'c' / 'readme.md').write_text('not an image')
    return root


def test_folder_walk_finds_images_recursively_in_order(tree):
    dataset = ImageDataset(data_root=str(tree))
    expected = ['a/x.png', 'a/y.JPG', 'b/c/z.png', 'b/d/w.jpeg']
    assert find_images(str(tree)) == expected
    assert [osp.relpath(dataset.get_data_info(i)['img_path'], tree)
            for i in range(len(dataset))] == expected
    assert all(dataset.get_data_info(i)['label'] == -1 for i in range(len(dataset)))


def test_find_files_matches_extensions_in_any_case(tree):
    assert find_files(str(tree), ('.png',)) == ['a/x.png', 'b/c/z.png']
    assert find_files(str(tree), ('.jpg', '.md')) == ['a/y.JPG', 'b/c/readme.md']
    assert find_files(str(tree / 'a'), ('.png', '.txt'), recursive=False) == [
        'notes.txt', 'x.png']


def test_folder_walk_not_recursive(tree):
    write_image(tree / 'top.png')
    dataset = ImageDataset(data_root=str(tree), recursive=False)
    assert [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))] == [
        osp.join(str(tree), 'top.png')]


def test_data_prefix_is_joined_to_data_root(tree):
    dataset = ImageDataset(data_root=str(tree), data_prefix='b')
    assert len(dataset) == 2
    assert dataset.get_data_info(0)['img_path'] == osp.join(str(tree), 'b', 'c', 'z.png')


def test_empty_folder_names_it(tmp_path):
    (tmp_path / 'empty' / 'sub').mkdir(parents=True)
    (tmp_path / 'empty' / 'sub' / 'notes.txt').write_text('x')
    with pytest.raises(FileNotFoundError, match='no images') as info:
        ImageDataset(data_root=str(tmp_path / 'empty'))
    assert str(tmp_path / 'empty') in str(info.value)


def test_missing_folder_points_to_the_docs(tmp_path):
    missing = str(tmp_path / 'missing')
    with pytest.raises(FileNotFoundError, match='Preparing data') as info:
        ImageDataset(data_root=missing, name='MySet')
    assert missing in str(info.value) and 'MySet' in str(info.value)


def test_bad_sample_policy_is_checked(tree):
    with pytest.raises(ValueError, match='bad_sample must be one of'):
        ImageDataset(data_root=str(tree), bad_sample='ignore')


def test_ann_file_lists_paths_and_labels(tmp_path):
    root = tmp_path / 'root'
    write_image(root / 'images' / 'p.png', seed=0)
    write_image(root / 'images' / 'sub' / 'q.png', seed=1)
    (root / 'list.txt').write_text('sub/q.png 7\n\np.png\n')
    dataset = ImageDataset(data_root=str(root), data_prefix='images', ann_file='list.txt',
                           pipeline=[dict(type='LoadImage')])
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [(info['img_path'], info['label']) for info in infos] == [
        (osp.join(str(root), 'images', 'sub', 'q.png'), 7),
        (osp.join(str(root), 'images', 'p.png'), -1)]
    assert dataset[0]['img'].shape == (24, 32, 3)


@pytest.mark.parametrize('line', ['p.png 1 2', 'p.png cat'])
def test_malformed_ann_line_names_file_and_line(tmp_path, line):
    write_image(tmp_path / 'p.png')
    ann_file = tmp_path / 'list.txt'
    ann_file.write_text(f'p.png 0\n{line}\n')
    with pytest.raises(ValueError, match='expected "<relative path> \\[label\\]"') as info:
        ImageDataset(data_root=str(tmp_path), ann_file=str(ann_file))
    assert f'{ann_file}:2' in str(info.value)


def test_missing_and_empty_ann_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='list file'):
        ImageDataset(data_root=str(tmp_path), ann_file='nope.txt')
    (tmp_path / 'blank.txt').write_text('\n\n')
    with pytest.raises(ValueError, match='names no images'):
        ImageDataset(data_root=str(tmp_path), ann_file='blank.txt')


# ---------------------------------------------------------------- bad samples


@pytest.fixture
def folder_with_corrupt_file(tmp_path):
    root = tmp_path / 'mixed'
    flat_folder(root, 4)
    # Index 2: the retry draws for keys 2 and (2, 0) land on a good file first.
    corrupt = root / 'img2.png'
    corrupt.write_bytes(b'not a png')
    return root, str(corrupt)


def test_bad_sample_raise_names_the_file(folder_with_corrupt_file):
    root, corrupt = folder_with_corrupt_file
    dataset = ImageDataset(data_root=str(root), pipeline=PACK, name='Photos')
    assert dataset[0]['inputs'].shape == (3, 24, 32)
    with pytest.raises(CorruptSampleError, match="bad_sample='skip'") as info:
        dataset[2]
    assert corrupt in str(info.value) and 'Photos' in str(info.value)
    assert dataset.num_skipped == 0


@pytest.mark.parametrize('cache_images', [False, True])
def test_bad_sample_skip_returns_another_sample(folder_with_corrupt_file, cache_images):
    root, corrupt = folder_with_corrupt_file
    dataset = ImageDataset(data_root=str(root), pipeline=PACK, bad_sample='skip',
                           cache_images=cache_images)
    sample = dataset[2]
    assert sample['inputs'].shape == (3, 24, 32)
    assert sample['data_samples'].img_path != corrupt
    assert dataset.num_skipped == 1
    assert dataset[(2, 0)]['data_samples'].img_path != corrupt
    assert dataset.num_skipped == 2
    dataset[0]
    assert dataset.num_skipped == 2


def test_bad_sample_skip_gives_up_on_unusable_data(tmp_path):
    for i in range(3):
        (tmp_path / f'bad{i}.jpg').write_bytes(b'junk')
    dataset = ImageDataset(data_root=str(tmp_path), pipeline=PACK, bad_sample='skip',
                           max_refetch=2)
    with pytest.raises(RuntimeError, match='3 samples in a row could not be decoded'):
        dataset[0]
    assert dataset.num_skipped == 3


# ---------------------------------------------------------------- seeded keys


@pytest.fixture
def photos(tmp_path):
    root = tmp_path / 'photos'
    for i in range(3):
        write_image(root / f'{i}.png', seed=i, size=(40, 48))
    return str(root)


def test_same_key_same_augmentation(photos):
    dataset = ImageDataset(data_root=photos, pipeline=AUGMENT)
    first = dataset[(1, 2024)]['inputs']
    assert first.shape == (3, 16, 16) and first.dtype == torch.uint8
    assert torch.equal(dataset[(1, 2024)]['inputs'], first)
    # Another instance (another worker or process) gives the same view.
    other = ImageDataset(data_root=photos, pipeline=AUGMENT)
    assert torch.equal(other[(1, 2024)]['inputs'], first)
    views = {dataset[(1, seed)]['inputs'].numpy().tobytes() for seed in range(8)}
    assert len(views) == 8


def test_seeded_key_leaves_global_rng_state_alone(photos):
    dataset = ImageDataset(data_root=photos, pipeline=AUGMENT)
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    py_state, np_state, torch_state = random.getstate(), np.random.get_state(), \
        torch.get_rng_state()
    dataset[(0, 99)]
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_image_cache_gives_identical_samples(photos):
    plain = ImageDataset(data_root=photos, pipeline=AUGMENT)
    cached = ImageDataset(data_root=photos, pipeline=AUGMENT, cache_images=True)
    for key in [(0, 5), (1, 6), (2, 7), (0, 5), (1, 8)]:
        assert torch.equal(plain[key]['inputs'], cached[key]['inputs'])
    assert sorted(cached._image_cache) == [0, 1, 2]
    unaugmented = ImageDataset(data_root=photos, pipeline=PACK, cache_images=True)
    assert torch.equal(unaugmented[2]['inputs'], ImageDataset(
        data_root=photos, pipeline=PACK)[2]['inputs'])


# ---------------------------------------------------------------- named datasets


def test_imagenet_labels_are_sorted_class_folders(tmp_path):
    root = tmp_path / 'imagenet'
    for wnid, count in [('n02', 2), ('n01', 1), ('n03', 1)]:
        for i in range(count):
            write_image(root / 'train' / wnid / f'{wnid}_{i}.JPEG', seed=i)
    dataset = ImageNet(data_root=str(root), split='train')
    pairs = [(osp.relpath(info['img_path'], root / 'train'), info['label'])
             for info in map(dataset.get_data_info, range(len(dataset)))]
    assert pairs == [('n01/n01_0.JPEG', 0), ('n02/n02_0.JPEG', 1), ('n02/n02_1.JPEG', 1),
                     ('n03/n03_0.JPEG', 2)]
    assert dataset.name == 'ImageNet (train)'


def test_imagenet_list_file(tmp_path):
    root = tmp_path / 'imagenet'
    write_image(root / 'val' / 'a.JPEG')
    (root / 'meta').mkdir()
    (root / 'meta' / 'val.txt').write_text('a.JPEG 417\n')
    dataset = ImageNet(data_root=str(root), split='val', ann_file='meta/val.txt')
    info = dataset.get_data_info(0)
    assert (info['img_path'], info['label']) == (osp.join(str(root), 'val', 'a.JPEG'), 417)


def test_imagenet_missing_split_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'ImageNet \(val\).*Preparing data'):
        ImageNet(data_root=str(tmp_path), split='val')


def test_coco_images_flat_split_folder(tmp_path):
    root = tmp_path / 'coco'
    write_image(root / 'val2017' / '000000000139.jpg', seed=0)
    write_image(root / 'val2017' / '000000000285.jpg', seed=1)
    write_image(root / 'val2017' / 'nested' / 'ignored.jpg', seed=2)
    write_image(root / 'train2017' / 'other.jpg', seed=3)
    dataset = COCOImages(data_root=str(root), split='val2017', pipeline=PACK)
    assert [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(len(dataset))] == [
        '000000000139.jpg', '000000000285.jpg']
    assert dataset[1]['inputs'].shape == (3, 24, 32)
    with pytest.raises(FileNotFoundError, match='COCO test2017'):
        COCOImages(data_root=str(root), split='test2017')


# ---------------------------------------------------------------- mixing


@pytest.fixture
def two_folders(tmp_path):
    first, second = tmp_path / 'first', tmp_path / 'second'
    flat_folder(first, 3)
    for i in range(5):
        write_image(second / f'other{i}.png', seed=10 + i)
    return str(first), str(second)


def test_weighted_mix_follows_weights(two_folders):
    first, second = two_folders
    mix = WeightedMixDataset([dict(type='ImageDataset', data_root=first),
                              dict(type='ImageDataset', data_root=second)], weights=[1, 3])
    assert len(mix) == 8
    draws = [mix[(i, sample_seed(0, i))]['img_path'] for i in range(2000)]
    fraction = np.mean([path.startswith(second) for path in draws])
    assert abs(fraction - 0.75) < 0.04
    # Items within a dataset are drawn uniformly too: every image appears.
    assert len(set(draws)) == 8


def test_weighted_mix_same_key_same_sample(two_folders):
    first, second = two_folders
    mix = WeightedMixDataset([ImageDataset(data_root=first, pipeline=AUGMENT),
                              ImageDataset(data_root=second, pipeline=AUGMENT)], weights=[1, 1])
    for key in [(0, 11), (3, 12), (3, 13)]:
        a, b = mix[key], mix[key]
        assert a['data_samples'].img_path == b['data_samples'].img_path
        assert torch.equal(a['inputs'], b['inputs'])
    # A bare index decides which image, not its augmentation (that needs a seed).
    assert mix[5]['data_samples'].img_path == mix[5]['data_samples'].img_path
    paths = {mix[(0, seed)]['data_samples'].img_path for seed in range(40)}
    assert len(paths) > 4  # the seed decides the draw


@pytest.mark.parametrize('weights, match', [([1], 'one weight per dataset'),
                                            ([1, -1], 'non-negative'),
                                            ([0, 0], 'not all zero')])
def test_weighted_mix_rejects_bad_weights(two_folders, weights, match):
    datasets = [ImageDataset(data_root=folder) for folder in two_folders]
    with pytest.raises(ValueError, match=match):
        WeightedMixDataset(datasets, weights)


# ---------------------------------------------------------------- sampler


def make_sampler(monkeypatch, size: int, rank: int = 0, world_size: int = 1, **kwargs):
    monkeypatch.setattr(samplers_module, 'get_dist_info', lambda: (rank, world_size))
    return ResumableInfiniteSampler(list(range(size)), seed=kwargs.pop('seed', 7), **kwargs)


def take(sampler, count: int) -> list:
    return list(itertools.islice(sampler, count))


@pytest.mark.parametrize('start', [0, 5, 6])
def test_sampler_ranks_interleave_to_the_single_stream(monkeypatch, start):
    single = make_sampler(monkeypatch, 7)
    single.set_start(start)
    expected = take(single, 40)
    streams = []
    for rank in range(2):
        sampler = make_sampler(monkeypatch, 7, rank=rank, world_size=2)
        sampler.set_start(start)
        streams.append(take(sampler, 20))
    # The global stream position `start + j` belongs to rank (start + j) % 2.
    merged = [streams[(start + j) % 2][j // 2] for j in range(40)]
    assert merged == expected


def test_sampler_set_start_resumes_the_stream(monkeypatch):
    full = take(make_sampler(monkeypatch, 5), 30)
    resumed = make_sampler(monkeypatch, 5)
    resumed.set_start(13)
    assert take(resumed, 17) == full[13:]
    assert full[13][1] == sample_seed(7, 13)


def test_sampler_passes_are_permutations(monkeypatch):
    n = 6
    stream = take(make_sampler(monkeypatch, n), 4 * n)
    passes = [[index for index, _ in stream[p * n:(p + 1) * n]] for p in range(4)]
    for indices in passes:
        assert sorted(indices) == list(range(n))
    assert len({tuple(indices) for indices in passes}) > 1  # each pass is reshuffled
    seeds = [seed for _, seed in stream]
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= seed < 2**32 for seed in seeds)


def test_sampler_options(monkeypatch):
    assert take(make_sampler(monkeypatch, 3, shuffle=False, seed_samples=False), 7) == [
        0, 1, 2, 0, 1, 2, 0]
    other_seed = take(make_sampler(monkeypatch, 50, seed=8), 50)
    assert other_seed != take(make_sampler(monkeypatch, 50), 50)
    with pytest.raises(ValueError, match='empty dataset'):
        take(make_sampler(monkeypatch, 0), 1)


def test_sampler_keys_drive_the_dataset(monkeypatch, photos):
    dataset = ImageDataset(data_root=photos, pipeline=AUGMENT)
    sampler = make_sampler(monkeypatch, len(dataset))
    keys = take(sampler, 4)
    resumed = make_sampler(monkeypatch, len(dataset))
    resumed.set_start(2)
    assert torch.equal(dataset[keys[2]]['inputs'], dataset[next(iter(resumed))]['inputs'])


# ---------------------------------------------------------------- webdataset


def jpeg_bytes(seed: int) -> bytes:
    buffer = io.BytesIO()
    pixels = np.random.default_rng(seed).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buffer, 'JPEG')
    return buffer.getvalue()


@pytest.fixture
def shards(tmp_path):
    """Two shards of three good JPEGs and one corrupt one each (so any shard hits one)."""
    import webdataset as wds
    for shard in range(2):
        with wds.TarWriter(str(tmp_path / f'shard-{shard}.tar')) as writer:
            for i in range(3):
                writer.write({'__key__': f'good{shard}{i}', 'jpg': jpeg_bytes(10 * shard + i)})
            writer.write({'__key__': f'bad{shard}', 'jpg': b'not a jpeg'})
    return str(tmp_path / 'shard-{0..1}.tar')


def test_webdataset_skips_corrupt_samples(shards):
    seen = []

    def record(results):
        seen.append(results['img_path'])
        return results

    dataset = WebDatasetImages(shards, pipeline=[record] + PACK, shuffle_buffer=0,
                               bad_sample='skip')
    samples = list(itertools.islice(dataset, 10))
    assert len(samples) == 10
    for sample in samples:
        assert sample['inputs'].shape == (3, 12, 16) and sample['inputs'].dtype == torch.uint8
        assert 'good' in sample['data_samples'].img_path
    corrupt_seen = sum(':bad' in name for name in seen)
    assert corrupt_seen >= 1  # a shard holds 3 good samples, so 10 draws cross a bad one
    assert dataset.num_skipped == corrupt_seen


def test_webdataset_raise_names_the_sample(shards):
    dataset = WebDatasetImages(shards, pipeline=PACK, shuffle_buffer=0, bad_sample='raise')
    with pytest.raises(CorruptSampleError, match="bad_sample='skip'") as info:
        list(itertools.islice(dataset, 10))
    assert 'shard-' in info.value.path and ':bad' in info.value.path


def test_webdataset_sample_without_image(tmp_path):
    import webdataset as wds
    with wds.TarWriter(str(tmp_path / 'text.tar')) as writer:
        writer.write({'__key__': 'caption', 'txt': b'a caption only'})
    dataset = WebDatasetImages(str(tmp_path / 'text.tar'), pipeline=PACK, shuffle_buffer=0)
    with pytest.raises(CorruptSampleError, match='no image among keys'):
        next(iter(dataset))


def test_webdataset_rejects_bad_policy(shards):
    with pytest.raises(ValueError, match='bad_sample must be'):
        WebDatasetImages(shards, bad_sample='ignore')


# ---------------------------------------------------------------- bundled samples


def test_bundled_photos_exist():
    photos = bundled_photos()
    assert 'astronaut' in photos
    assert all(osp.isfile(path) for path in photos.values())
    assert bundled_photos(['astronaut']) == {'astronaut': photos['astronaut']}
    with pytest.raises(ValueError, match="Unknown bundled sample 'nope'"):
        bundled_photos(['nope'])


def test_build_sample_folders_is_idempotent(tmp_path):
    train, val = build_sample_folders(str(tmp_path))
    assert (train, val) == (str(tmp_path / 'train'), str(tmp_path / 'val'))
    stems = {folder: sorted(osp.splitext(f)[0] for f in os.listdir(folder))
             for folder in (train, val)}
    assert stems[val] == sorted(HELD_OUT_PHOTOS)
    assert stems[train] == sorted(set(bundled_photos()) - set(HELD_OUT_PHOTOS))
    kept = osp.join(train, 'astronaut.png')
    with open(kept, 'ab') as f:
        f.write(b'marker')
    assert build_sample_folders(str(tmp_path)) == [train, val]
    with open(kept, 'rb') as f:
        assert f.read().endswith(b'marker')  # an existing file is kept, not copied again
    with pytest.raises(ValueError, match='held_out names unknown photos'):
        build_sample_folders(str(tmp_path / 'other'), held_out=['nope'])


def test_weighted_mix_data_root_moves_every_dataset(two_folders, tmp_path):
    first, second = two_folders
    mix = WeightedMixDataset([dict(type='ImageDataset', data_root='elsewhere',
                                   data_prefix='first'),
                              dict(type='ImageDataset', data_prefix='second')],
                             weights=[1, 1], data_root=str(tmp_path))
    assert [len(d) for d in mix.datasets] == [3, 5]
    assert mix.datasets[0].data_root == str(tmp_path)
