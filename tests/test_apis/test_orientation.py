"""Phone photos: a JPEG with each of the 8 EXIF orientation values comes back as every
viewer displays it (ImageOps.exif_transpose) through the Tokenizer API, `vitok-mm
reconstruct` and folder scoring; training data keeps the stored pixels unless its
pipeline asks (ImageNet-style loaders ignore EXIF)."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from tests.test_apis.test_inference import MICRO_CHECKPOINT, MICRO_CONFIG
from vitok_mm.apis import Tokenizer
from vitok_mm.cli import main
from vitok_mm.datasets.transforms import LoadImage
from vitok_mm.workflows.scoring import load_pairs

ORIENTATIONS = range(1, 9)


def write_photo(path: Path, orientation: int) -> Path:
    """A 24 x 40 (H x W) picture with an asymmetric pattern, stored with the tag."""
    rng = np.random.default_rng(orientation)
    pixels = (rng.random((24, 40, 3)) * 64).astype(np.uint8)
    pixels[:8, :20] += 160  # a bright top-left block: every turn moves it
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(path, quality=95, exif=exif)
    return path


def displayed(path: Path) -> np.ndarray:
    return np.asarray(ImageOps.exif_transpose(Image.open(path)).convert('RGB'))


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp('exif')
    return [write_photo(folder / f'o{o}.jpg', o) for o in ORIENTATIONS]


@pytest.fixture(scope='module')
def tok():
    return Tokenizer.from_pretrained(MICRO_CONFIG, MICRO_CHECKPOINT)


def test_the_api_reads_and_reconstructs_the_displayed_picture(photos, tok):
    sizes = set()
    for path in photos:
        shown = displayed(path)
        sizes.add(shown.shape[:2])
        assert np.array_equal(tok.read_file(str(path)), shown)
        recon = tok.reconstruct(str(path))
        assert (recon.height, recon.width) == shown.shape[:2]
        # A PIL image opened by the user is turned the same way.
        assert np.array_equal(np.asarray(tok.reconstruct(Image.open(path))), np.asarray(recon))
    assert sizes == {(24, 40), (40, 24)}  # orientations 5-8 swap the sides


def test_the_cli_writes_reconstructions_of_the_displayed_size_and_scores_them(photos, tok,
                                                                              tmp_path):
    out = tmp_path / 'out'
    assert main(['reconstruct', MICRO_CONFIG, MICRO_CHECKPOINT, *map(str, photos), '--out',
                 str(out), '--no-progress']) == 0
    summary = json.loads((out / 'summary.json').read_text())
    for path in photos:
        written = sorted(out.glob(f'{path.stem}.*'))
        recon = np.asarray(Image.open(written[0]).convert('RGB'))
        assert recon.shape[:2] == displayed(path).shape[:2]
        assert np.array_equal(recon, np.asarray(tok.reconstruct(str(path))))
    # Scoring pairs the displayed original with the reconstruction (no size mismatch).
    pairs = load_pairs([(str(p), str(sorted(out.glob(f'{p.stem}.*'))[0])) for p in photos])
    assert len(pairs) == 8 and summary


def test_training_loaders_keep_the_stored_pixels_unless_asked(photos):
    stored = np.asarray(Image.open(photos[5]).convert('RGB'))  # orientation 6
    assert np.array_equal(LoadImage()(dict(img_path=str(photos[5])))['img'], stored)
    turned = LoadImage(exif_orientation=True)(dict(img_path=str(photos[5])))['img']
    assert np.array_equal(turned, displayed(photos[5])) and turned.shape[:2] == (40, 24)


def test_a_dataset_turns_its_photos_when_its_pipeline_asks_also_from_its_cache(photos):
    from vitok_mm.datasets import ImageDataset
    for cache in (False, True):
        dataset = ImageDataset(data_root=str(photos[0].parent), cache_images=cache,
                               pipeline=[dict(type='LoadImage', exif_orientation=True),
                                         dict(type='PackInputs')])
        names = [Path(dataset.get_data_info(i)['img_path']).name for i in range(len(dataset))]
        index = names.index('o6.jpg')
        pixels = dataset[index]['inputs'].permute(1, 2, 0).numpy()
        assert np.array_equal(pixels, displayed(photos[5])), cache
