"""Scoring from files: reconstructions against originals in two folders (PSNR, SSIM,
LPIPS, rFID, rIS), and generated samples in a ``samples.npz`` against reference
statistics (gFID, gIS).

Images are paired by relative path without extension (``a/b.jpg`` with ``a/b.png``),
compared as they are (8-bit RGB, no resizing), and scored with the training-time
metrics' code. PSNR and SSIM always run; LPIPS and rFID/rIS run when their weights are
on disk (:func:`vitok_mm.evaluation.split_available`), else the reason is returned.
"""
import os.path as osp
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmengine.utils import ProgressBar

from vitok_mm.datasets import CorruptSampleError, find_images
from vitok_mm.datasets.transforms import LoadImage
from vitok_mm.evaluation import (
    FIDMetric,
    GenerationFIDMetric,
    LPIPSMetric,
    ReconstructionMetric,
    split_available,
)
from vitok_mm.utils.samples_npz import check_samples_npz, iter_sample_batches

#: The scores :func:`score_folders` reports, in order.
SCORE_KEYS = ('psnr', 'ssim', 'lpips', 'rfid', 'ris')
#: Metrics that need weights -> the scores they give.
_SCORES_OF = {'LPIPSMetric': ('lpips', ), 'FIDMetric': ('rfid', 'ris')}


def pair_files(gt_dir: str, recon_dir: str) -> List[Tuple[str, str]]:
    """``(gt, recon)`` paths paired by relative path without extension, sorted.

    Raises:
        ValueError: a folder is missing or empty, several files share a name, or images
            are unpaired (listing up to ten of them each way).
    """
    def index(folder: str) -> Dict[str, str]:
        if not osp.isdir(folder):
            raise ValueError(f'{folder} is not a folder.')
        found: Dict[str, List[str]] = {}
        for relative in find_images(folder):
            found.setdefault(osp.splitext(relative)[0], []).append(relative)
        ambiguous = {k: v for k, v in found.items() if len(v) > 1}
        if ambiguous:
            raise ValueError(f'{folder}: several files share a name: {ambiguous}')
        if not found:
            raise ValueError(f'{folder}: no images found.')
        return {k: osp.join(folder, v[0]) for k, v in found.items()}

    gt, recon = index(gt_dir), index(recon_dir)
    missing_recon, missing_gt = sorted(set(gt) - set(recon)), sorted(set(recon) - set(gt))
    if missing_recon or missing_gt:
        lines = [f'{len(missing_recon)} originals have no reconstruction: {missing_recon[:10]}'
                 if missing_recon else '',
                 f'{len(missing_gt)} reconstructions have no original: {missing_gt[:10]}'
                 if missing_gt else '']
        raise ValueError('unpaired images. ' + ' '.join(line for line in lines if line))
    return [(gt[k], recon[k]) for k in sorted(gt)]


def load_pairs(pairs: List[Tuple[str, str]]) -> List[Tuple[torch.Tensor, torch.Tensor]]:
    """Decode every pair to ``(3, H, W)`` pixels in [-1, 1]; list all problems at once.

    Raises:
        ValueError: files that cannot be decoded and pairs whose sizes differ, all named.
    """
    loader, loaded, problems = LoadImage(exif_orientation=True), [], []
    for gt_path, recon_path in pairs:
        images = []
        for path in (gt_path, recon_path):
            try:
                img = loader.transform(dict(img_path=path))['img']
                images.append(torch.from_numpy(img).permute(2, 0, 1).float() / 127.5 - 1)
            except CorruptSampleError as error:
                problems.append(str(error))
        if len(images) == 2:
            if images[0].shape != images[1].shape:
                problems.append(f'{recon_path} is {tuple(images[1].shape[1:])} but '
                                f'{gt_path} is {tuple(images[0].shape[1:])}')
            else:
                loaded.append((images[0], images[1]))
    if problems:
        raise ValueError(f'{len(problems)} problem(s):\n  ' + '\n  '.join(problems))
    return loaded


def score_folders(gt_dir: str, recon_dir: str, inception_weights: Optional[str] = None,
                  lpips_weights: Optional[str] = None, device: str = 'cpu',
                  batch_size: int = 32,
                  progress: Optional[Callable[[int, int, float], None]] = None) -> dict:
    """Score every reconstruction in ``recon_dir`` against its original in ``gt_dir``.

    Args:
        gt_dir, recon_dir: folders of images with the same relative names.
        inception_weights: the FID InceptionV3 file or its folder (default: torch hub cache).
        lpips_weights: ``vgg16-397923af.pth`` or its folder (default: torch hub cache).
        device: where the metrics run.
        batch_size: pairs per metric call (pairs of one size are batched together).
        progress: called as ``progress(done, total, seconds)`` after each batch.

    Returns:
        ``{key: value or None}`` for :data:`SCORE_KEYS` (None: skipped), ``num_images``,
        and ``skipped``: ``{key: why}`` for the scores whose weights are missing.

    Raises:
        ValueError: as :func:`pair_files` and :func:`load_pairs`, or ``batch_size`` < 1.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}.')
    pairs = load_pairs(pair_files(gt_dir, recon_dir))
    return score_pairs(pairs, inception_weights, lpips_weights, device, batch_size, progress)


def score_pairs(pairs: List[Tuple[torch.Tensor, torch.Tensor]],
                inception_weights: Optional[str] = None, lpips_weights: Optional[str] = None,
                device: str = 'cpu', batch_size: int = 32,
                progress: Optional[Callable[[int, int, float], None]] = None,
                fid: bool = True) -> dict:
    """:func:`score_folders` on pairs in memory: ``(original, reconstruction)`` pixels
    ``(3, H, W)`` in [-1, 1] (8-bit levels, as files hold them). ``fid=False`` skips
    rFID/rIS (with the reason ``'turned off'``)."""
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}.')
    if not pairs:
        raise ValueError('no image pairs to score.')
    metrics = {'psnr/ssim': ReconstructionMetric(prefix='')}
    wanted = [dict(type='LPIPSMetric', vgg_weights=lpips_weights)]
    if fid:
        wanted.append(dict(type='FIDMetric', inception_weights=inception_weights))
    kept, missing = split_available(wanted)
    for cfg in kept:
        if cfg['type'] == 'LPIPSMetric':
            metrics['lpips'] = LPIPSMetric(vgg_weights=lpips_weights, prefix='')
        else:
            metrics['rfid/ris'] = FIDMetric(inception_weights=inception_weights, prefix='')
    skipped = {key: why for metric, why in missing.items() for key in _SCORES_OF[metric]}
    if not fid:
        skipped.update(rfid='turned off', ris='turned off')
    target = torch.device(device)
    start = time.perf_counter()
    batch: List[dict] = []
    for number, (gt, recon) in enumerate(pairs, 1):
        batch.append(dict(pred=recon.to(target), gt=gt.to(target)))
        last = number == len(pairs)
        if len(batch) == batch_size or last or pairs[number][0].shape != gt.shape:
            for metric in metrics.values():
                metric.process(None, batch)
            batch = []
            if progress is not None:
                progress(number, len(pairs), time.perf_counter() - start)
    results: Dict[str, Optional[float]] = {key: None for key in SCORE_KEYS}
    for metric in metrics.values():
        for key, value in metric.evaluate(len(pairs)).items():
            results[key.split('/')[-1]] = value
    results['num_images'] = len(pairs)
    results['skipped'] = skipped
    return results


def score_samples(samples_npz: str, reference: str, inception_weights: Optional[str] = None,
                  batch_size: int = 50, device: str = 'cpu', progress: bool = True,
                  reference_cache: Optional[str] = None) -> dict:
    """gFID and gIS of the images of an ADM-style ``samples.npz`` against ``reference``.

    The file is read a batch at a time and scored by
    :class:`~vitok_mm.evaluation.GenerationFIDMetric` exactly as during validation
    (the uint8 images are the quantised pixels it would score).

    Args:
        samples_npz: ``arr_0`` uint8 ``(N, H, W, 3)`` (and optional labels ``arr_1``).
        reference: ADM reference batch ``.npz`` (``mu``/``sigma``), real images as an
            ``.npz`` (statistics cached, see ``reference_cache``) or a ``.pth``
            RunningStatistics state.
        inception_weights: the FID InceptionV3 file or its folder (default: torch hub cache).
        batch_size: images per Inception call.
        device: where the Inception runs.
        progress: show a progress bar.
        reference_cache: as for :class:`~vitok_mm.evaluation.GenerationFIDMetric`.

    Returns:
        ``dict(gfid=, gis=, num_samples=)``; ``gis`` is None for fewer than 10 samples
        (the IS splits).

    Raises:
        FileNotFoundError: no ``samples_npz`` or Inception weights.
        ValueError: ``samples_npz`` does not have the layout above (naming it and the
            expected layout), the reference is missing, or ``batch_size`` < 1.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}.')
    count = check_samples_npz(samples_npz)[0]
    splits = 10
    metric = GenerationFIDMetric(reference, inception_weights, reference_cache,
                                 compute_is=count >= splits, is_splits=splits,
                                 batch_size=batch_size, prefix='')
    target = torch.device(device)
    bar = ProgressBar(count) if progress else None
    done = 0
    for images in iter_sample_batches(samples_npz, batch_size):
        pixels = torch.from_numpy(images).to(target).permute(0, 3, 1, 2).float() / 127.5 - 1
        metric.process(None, [dict(pixels=p, sample_idx=done + i) for i, p in enumerate(pixels)])
        done += len(images)
        if bar is not None:
            bar.update(len(images))
    if bar is not None:
        print(flush=True)
    results = {key.split('/')[-1]: value for key, value in metric.evaluate(count).items()}
    return dict(gfid=results['gfid'], gis=results.get('gis'), num_samples=count)


__all__ = ['SCORE_KEYS', 'load_pairs', 'pair_files', 'score_folders', 'score_pairs',
           'score_samples']
