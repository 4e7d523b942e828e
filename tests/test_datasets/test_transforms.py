import io

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement
from PIL import Image

from vitok_mm.datasets.transforms import (
    CorruptSampleError,
    LoadImage,
    PackInputs,
    RandomResizedCrop,
    ResizeShortSide,
    to_rgb8,
)
from vitok_mm.registry import TRANSFORMS


def gradient(height: int = 24, width: int = 32) -> np.ndarray:
    """A smooth (H, W, 3) uint8 image, so that JPEG barely changes it."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // (width - 1), y * 255 // (height - 1),
                     np.full_like(x, 128)], axis=2).astype(np.uint8)


def load(path) -> np.ndarray:
    return LoadImage()(dict(img_path=str(path)))['img']


# ---------------------------------------------------------------- decoding


def test_rgb_jpeg_decodes_like_pil(tmp_path):
    path = tmp_path / 'rgb.jpg'
    Image.fromarray(gradient()).save(path, quality=95)
    results = LoadImage()(dict(img_path=str(path)))
    img = results['img']
    assert img.dtype == np.uint8 and img.shape == (24, 32, 3)
    assert results['img_shape'] == results['ori_shape'] == (24, 32)
    np.testing.assert_array_equal(img, np.asarray(Image.open(path).convert('RGB')))
    assert np.abs(img.astype(int) - gradient()).mean() < 3


def test_grayscale_png_has_three_equal_channels(tmp_path):
    gray = np.arange(12 * 10, dtype=np.uint8).reshape(12, 10)
    Image.fromarray(gray, mode='L').save(tmp_path / 'gray.png')
    img = load(tmp_path / 'gray.png')
    assert img.shape == (12, 10, 3) and img.dtype == np.uint8
    for channel in range(3):
        np.testing.assert_array_equal(img[..., channel], gray)


def test_rgba_png_is_composited_over_white(tmp_path):
    rgba = np.array([[[10, 20, 30, 0], [10, 20, 30, 255], [200, 0, 0, 128]]], dtype=np.uint8)
    Image.fromarray(rgba, mode='RGBA').save(tmp_path / 'rgba.png')
    img = load(tmp_path / 'rgba.png')
    assert img.shape == (1, 3, 3)
    np.testing.assert_array_equal(img[0, 0], [255, 255, 255])  # fully transparent
    np.testing.assert_array_equal(img[0, 1], [10, 20, 30])     # opaque keeps its colour
    # Half transparent: colour * a + 255 * (1 - a), a = 128 / 255.
    alpha = 128 / 255
    expected = np.array([200, 0, 0]) * alpha + 255 * (1 - alpha)
    np.testing.assert_allclose(img[0, 2], expected, atol=1)


def test_palette_png_with_transparent_index(tmp_path):
    image = Image.new('P', (2, 1))
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 6))
    image.putpixel((0, 0), 0)
    image.putpixel((1, 0), 1)
    image.save(tmp_path / 'palette.png', transparency=0)
    assert Image.open(tmp_path / 'palette.png').mode == 'P'
    img = load(tmp_path / 'palette.png')
    np.testing.assert_array_equal(img[0], [[255, 255, 255], [0, 0, 255]])


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    Image.new('CMYK', (8, 6), (0, 255, 255, 0)).save(tmp_path / 'cmyk.jpg')
    opened = Image.open(tmp_path / 'cmyk.jpg')
    assert opened.mode == 'CMYK'
    img = to_rgb8(opened)
    assert img.shape == (6, 8, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img, np.asarray(opened.convert('RGB')))


def test_16_bit_png_is_rescaled_not_clipped(tmp_path):
    values = np.array([[0, 65535], [32896, 1000]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / 'deep.png')
    assert Image.open(tmp_path / 'deep.png').mode.startswith('I')
    img = load(tmp_path / 'deep.png')
    assert img.dtype == np.uint8 and img.shape == (2, 2, 3)
    np.testing.assert_array_equal(img[..., 0], img[..., 2])
    assert img[0, 0, 0] == 0
    assert img[0, 1, 0] == 255
    assert abs(int(img[1, 0, 0]) - 128) <= 1
    assert img[1, 1, 0] == round(1000 / 65535 * 255)  # 4, not clipped to 255


def test_load_from_bytes(tmp_path):
    array = gradient(5, 7)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, 'PNG')
    results = LoadImage()(dict(img_bytes=buffer.getvalue(), img_path='shard.tar:key'))
    np.testing.assert_array_equal(results['img'], array)
    assert 'img_bytes' not in results
    assert results['img_shape'] == (5, 7)


def test_truncated_jpeg_raises_naming_the_file(tmp_path):
    path = tmp_path / 'truncated.jpg'
    buffer = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)).save(
        buffer, 'JPEG')
    path.write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    with pytest.raises(CorruptSampleError, match='truncated') as info:
        load(path)
    assert str(path) in str(info.value)
    assert info.value.path == str(path)


def test_text_file_named_jpg_raises_naming_the_file(tmp_path):
    path = tmp_path / 'notes.jpg'
    path.write_text('not an image')
    with pytest.raises(CorruptSampleError) as info:
        load(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------- geometry


def test_random_resized_crop_output_shape():
    results = RandomResizedCrop(size=(24, 32))(dict(img=gradient(50, 70)))
    assert results['img'].shape == (24, 32, 3)
    assert tuple(results['img_shape']) == (24, 32)
    assert RandomResizedCrop(size=16)(dict(img=gradient(50, 70)))['img'].shape == (16, 16, 3)


def test_random_resized_crop_box_respects_scale_and_ratio():
    crop = RandomResizedCrop(size=16, scale=(0.25, 0.6), ratio=(0.5, 2.0))
    np.random.seed(0)
    height, width = 300, 400
    fractions, aspects = [], []
    for _ in range(500):
        top, left, h, w = crop.crop_box(height, width)
        assert 0 <= top and top + h <= height and 0 <= left and left + w <= width
        fractions.append(h * w / (height * width))
        aspects.append(w / h)
    fractions, aspects = np.array(fractions), np.array(aspects)
    # Rounding h and w to integers moves the area and aspect by well under 1 %.
    assert fractions.min() >= 0.25 * 0.99 and fractions.max() <= 0.6 * 1.01
    assert aspects.min() >= 0.5 * 0.99 and aspects.max() <= 2.0 * 1.01
    # The whole range is used, not one value.
    assert fractions.min() < 0.3 and fractions.max() > 0.55
    assert aspects.min() < 0.6 and aspects.max() > 1.7


def test_random_resized_crop_is_reproducible_from_numpy_seed():
    crop = RandomResizedCrop(size=16, scale=(0.1, 1.0))
    np.random.seed(3)
    first = [crop.crop_box(100, 120) for _ in range(5)]
    np.random.seed(3)
    assert [crop.crop_box(100, 120) for _ in range(5)] == first


def test_random_resized_crop_falls_back_to_center_crop():
    crop = RandomResizedCrop(size=8, scale=(0.9, 1.0), ratio=(3 / 4, 4 / 3))
    np.random.seed(0)
    # No box of >= 90 % of the area has an aspect in [3/4, 4/3] inside 10 x 100:
    # the center crop of the widest allowed ratio instead.
    assert crop.crop_box(10, 100) == (0, (100 - 13) // 2, 10, 13)
    assert crop.crop_box(100, 10) == ((100 - 13) // 2, 0, 13, 10)


@pytest.mark.parametrize('scale', [(0.5, 0.2), (0.0, 1.0), (0.5, 1.5)])
def test_random_resized_crop_rejects_bad_scale(scale):
    with pytest.raises(ValueError, match='scale must satisfy'):
        RandomResizedCrop(size=8, scale=scale)


@pytest.mark.parametrize('ratio', [(2.0, 1.0), (0.0, 1.0)])
def test_random_resized_crop_rejects_bad_ratio(ratio):
    with pytest.raises(ValueError, match='ratio must satisfy'):
        RandomResizedCrop(size=8, ratio=ratio)


@pytest.mark.parametrize('shape, expected', [((300, 400), (150, 200)), ((500, 301), (249, 150)),
                                             ((40, 40), (150, 150))])
def test_resize_short_side(shape, expected):
    results = ResizeShortSide(150)(dict(img=gradient(*shape)))
    assert results['img'].shape == (*expected, 3)
    assert tuple(results['img_shape']) == expected
    assert min(results['img'].shape[:2]) == 150
    assert abs(expected[0] / expected[1] - shape[0] / shape[1]) < 0.01


def test_resize_short_side_rejects_zero():
    with pytest.raises(ValueError, match='size must be positive'):
        ResizeShortSide(0)


def test_center_crop_from_registry():
    img = gradient(30, 40)
    crop = TRANSFORMS.build(dict(type='CenterCrop', crop_size=16))
    out = crop(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out, img[7:23, 12:28])


def test_random_flip_flips_horizontally():
    img = gradient(10, 12)
    flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))
    out = flip(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out, np.fliplr(img))


# ---------------------------------------------------------------- packing


def test_pack_image():
    img = gradient(6, 9)
    packed = PackInputs()(dict(img=img, img_path='a.png', ori_shape=(6, 9), img_shape=(6, 9),
                               label=3, extra='not kept'))
    inputs = packed['inputs']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 6, 9)
    assert inputs.is_contiguous()
    assert torch.equal(inputs, torch.from_numpy(img).permute(2, 0, 1))
    sample = packed['data_samples']
    assert isinstance(sample, BaseDataElement)
    assert set(sample.metainfo) == {'img_path', 'ori_shape', 'img_shape', 'label'}
    assert sample.img_path == 'a.png' and sample.label == 3


def test_pack_video():
    clip = np.random.default_rng(0).integers(0, 256, (4, 6, 9, 3), dtype=np.uint8)
    inputs = PackInputs()(dict(img=clip))['inputs']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 4, 6, 9)
    for t in range(4):
        for c in range(3):
            assert torch.equal(inputs[c, t], torch.from_numpy(clip[t, ..., c]))


def test_pack_keeps_only_present_meta_keys():
    packed = PackInputs(meta_keys=('img_path', 'label'))(dict(img=gradient(4, 4), label=1))
    assert packed['data_samples'].metainfo == dict(label=1)


def test_random_channel_permute_reorders_channels_only():
    from vitok_mm.datasets.transforms import RandomChannelPermute
    np.random.seed(0)
    img = np.random.randint(0, 256, (8, 8, 3), dtype=np.uint8)
    orders = set()
    for _ in range(200):
        out = RandomChannelPermute(prob=1.0)(dict(img=img.copy()))['img']
        order = tuple(int(np.argmax([np.array_equal(out[..., c], img[..., k])
                                     for k in range(3)])) for c in range(3))
        assert sorted(order) == [0, 1, 2] and order != (0, 1, 2)
        orders.add(order)
    assert len(orders) == 5  # every other order is drawn
    assert np.array_equal(RandomChannelPermute(prob=0.0)(dict(img=img.copy()))['img'], img)
    clip = np.stack([img, img[::-1]])
    out = RandomChannelPermute(prob=1.0)(dict(img=clip.copy()))['img']
    assert np.array_equal(out[1], out[0][::-1])  # one order for every frame
    with pytest.raises(ValueError, match='prob must be in'):
        RandomChannelPermute(prob=2)
