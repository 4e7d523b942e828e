"""Reconstructing files and folders of images with a :class:`~vitok_mm.apis.Tokenizer`:
what ``vitok-mm reconstruct`` runs.

Each image is reconstructed at its own size (padded and cropped back) and written as PNG
(lossless) under ``out`` with its relative name (relative to the folder it was found in;
a file given directly keeps its base name); ``--compare`` adds ``<name>.compare.png``,
original left, reconstruction right. PSNR and SSIM (8-bit, as the metrics compute them)
per file and on average go to ``out/summary.json``. A file that cannot be read is listed
with its reason and the rest are processed.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff', '.gif')


@dataclass
class FilesResult:
    """What :func:`reconstruct_files` did."""
    scores: Dict[str, Dict[str, float]] = field(default_factory=dict)  # by input file
    failed: Dict[str, str] = field(default_factory=dict)  # input file -> reason
    summary_path: str = ''


def collect_inputs(inputs: Sequence[str]) -> Tuple[List[Tuple[str, str]], Dict[str, str]]:
    """``(path, relative output name)`` of every image among ``inputs`` (folders are
    searched recursively, sorted), and ``{path: reason}`` for inputs that are not images."""
    found, failed = [], {}
    for item in inputs:
        if osp.isdir(item):
            for folder, dirs, files in os.walk(item):
                dirs.sort()
                for name in sorted(files):
                    path = osp.join(folder, name)
                    if osp.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                        found.append((path, osp.relpath(path, item)))
        elif not osp.exists(item):
            failed[item] = 'does not exist'
        elif osp.splitext(item)[1].lower() not in IMAGE_EXTENSIONS:
            failed[item] = (f'unsupported extension {osp.splitext(item)[1] or "(none)"}; '
                            f'images are {", ".join(IMAGE_EXTENSIONS)}')
        else:
            found.append((item, osp.basename(item)))
    return found, failed


def _scores(original: np.ndarray, recon: np.ndarray) -> Dict[str, float]:
    from vitok_mm.evaluation.functional import psnr, ssim
    a = torch.from_numpy(original).permute(2, 0, 1)[None].double() / 255
    b = torch.from_numpy(recon).permute(2, 0, 1)[None].double() / 255
    scores = dict(psnr=float(psnr(b, a)[0]))
    if min(original.shape[:2]) >= 7:  # SSIM's window needs 7 pixels
        scores['ssim'] = float(ssim(b.float(), a.float())[0])
    return scores


def reconstruct_files(tokenizer, inputs: Sequence[str], out: str, compare: bool = False,
                      progress: bool = True) -> FilesResult:
    """Reconstruct every image of ``inputs`` (files or folders) into ``out``."""
    from PIL import Image

    from vitok_mm.datasets import CorruptSampleError
    from vitok_mm.datasets.transforms.loading import LoadImage
    files, failed = collect_inputs(inputs)
    result = FilesResult(failed=dict(failed))
    bar = None
    if progress and files:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(files))
    reader = LoadImage()
    for path, name in files:
        try:
            original = reader(dict(img_path=path))['img']
        except CorruptSampleError as error:
            result.failed[path] = error.reason
        else:
            recon = tokenizer.reconstruct(original)
            target = osp.join(out, osp.splitext(name)[0] + '.png')
            os.makedirs(osp.dirname(target) or '.', exist_ok=True)
            Image.fromarray(recon).save(target)
            if compare:
                Image.fromarray(np.concatenate([original, recon], axis=1)).save(
                    osp.join(out, osp.splitext(name)[0] + '.compare.png'))
            result.scores[path] = dict(_scores(original, recon), output=target)
        if bar is not None:
            bar.update()
    if bar is not None:
        print(flush=True)
    mean = {key: float(np.mean([s[key] for s in result.scores.values() if key in s]))
            for key in ('psnr', 'ssim')
            if any(key in s for s in result.scores.values())}
    os.makedirs(out, exist_ok=True)
    result.summary_path = osp.join(out, 'summary.json')
    with open(result.summary_path, 'w') as f:
        json.dump(dict(files=result.scores, mean=mean, failed=result.failed), f, indent=2)
    return result


__all__ = ['FilesResult', 'IMAGE_EXTENSIONS', 'collect_inputs', 'reconstruct_files']
