"""A :class:`~vitok_mm.apis.Tokenizer` over files and folders: what ``vitok-mm
reconstruct``, ``encode`` and ``decode`` run.

Folders are searched recursively (sorted) for the tokenizer's kind of file, images for an
image tokenizer and videos for a video tokenizer; each output keeps its input's name
relative to the folder it was found in (a file given directly keeps its base name).
A file that cannot be used (unreadable, an unsupported extension, a video shorter than
one tubelet, latents of another tokenizer) is listed with its reason and the others are
processed. Images are written as PNG and videos as FFV1 ``.mkv``, both lossless.

- :func:`reconstruct_files`: reconstructions at each input's own size, PSNR and SSIM
  per file and on average in ``out/summary.json``; ``compare=True`` adds
  ``<name>.compare.png`` / ``.mkv`` (original left, reconstruction right).
- :func:`encode_files`: one ``<name>.safetensors`` per input, see :mod:`.latent_files`.
- :func:`decode_files`: ``.safetensors`` latents back to images or videos at their
  source size; latents made by another tokenizer are refused.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from vitok_mm.apis.tokenizer import to_uint8

from .latent_files import LATENT_EXTENSION


@dataclass
class FilesResult:
    """What one of the functions did."""
    scores: Dict[str, Dict] = field(default_factory=dict)  # by input file
    failed: Dict[str, str] = field(default_factory=dict)  # input file -> reason
    summary_path: str = ''

    @property
    def done(self) -> int:
        return len(self.scores)


def input_extensions(tokenizer) -> Tuple[str, ...]:
    """The files a tokenizer takes: images, or videos for a video tokenizer."""
    from vitok_mm.datasets import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
    return VIDEO_EXTENSIONS if tokenizer.is_video else IMAGE_EXTENSIONS + ('.gif', )


def collect_inputs(inputs: Sequence[str], extensions: Sequence[str],
                   what: str = 'inputs') -> Tuple[List[Tuple[str, str]], Dict[str, str]]:
    """``(path, relative output name)`` of every file with one of ``extensions`` among
    ``inputs`` (folders are searched recursively, sorted), and ``{path: reason}`` for
    inputs that do not exist or have another extension."""
    found, failed = [], {}
    for item in inputs:
        if osp.isdir(item):
            for folder, dirs, files in os.walk(item):
                dirs.sort()
                for name in sorted(files):
                    path = osp.join(folder, name)
                    if osp.splitext(name)[1].lower() in extensions:
                        found.append((path, osp.relpath(path, item)))
        elif not osp.exists(item):
            failed[item] = 'does not exist'
        elif osp.splitext(item)[1].lower() not in extensions:
            failed[item] = (f'unsupported extension {osp.splitext(item)[1] or "(none)"}; '
                            f'{what} are {", ".join(extensions)}')
        else:
            found.append((item, osp.basename(item)))
    return found, failed


def _for_each(files: Sequence[Tuple[str, str]], work: Callable[[str, str], Optional[Dict]],
              result: FilesResult, progress: bool) -> None:
    """``work(path, name)`` for each file, a progress bar on the terminal; a file whose
    work raises a user error (corrupt, wrong size, another tokenizer's) is failed with
    the error's message and the loop goes on."""
    from vitok_mm.datasets import CorruptSampleError
    from vitok_mm.utils import CheckpointError
    bar = None
    if progress and files:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(files))
    for path, name in files:
        try:
            result.scores[path] = work(path, name) or {}
        except CorruptSampleError as error:
            result.failed[path] = error.reason
        except (ValueError, CheckpointError) as error:
            result.failed[path] = ' '.join(str(error).split())
        if bar is not None:
            bar.update()
    if bar is not None:
        print(flush=True)


def _write_summary(out: str, result: FilesResult, **extra) -> None:
    os.makedirs(out, exist_ok=True)
    result.summary_path = osp.join(out, 'summary.json')
    with open(result.summary_path, 'w') as f:
        json.dump(dict(files=result.scores, failed=result.failed, **extra), f, indent=2)


def _read(tokenizer, path: str) -> Tuple[np.ndarray, float]:
    """The pixels of an input file (and a video's frame rate, else 0); a video shorter
    than one tubelet is refused (padding it would invent most of the clip)."""
    if tokenizer.is_video:
        from vitok_mm.apis.video_io import read_video
        frames, fps = read_video(path)
        if len(frames) < tokenizer.tubelet_size:
            raise ValueError(f'{len(frames)} frame(s), shorter than one tubelet '
                             f'({tokenizer.tubelet_size} frames)')
        return frames, fps
    return tokenizer.read_file(path), 0.0


def _write_pixels(target_stem: str, pixels: np.ndarray, fps: float) -> str:
    """PNG for an image ``(H, W, 3)``, FFV1 ``.mkv`` for frames ``(T, H, W, 3)``."""
    from PIL import Image

    from vitok_mm.apis.video_io import VIDEO_OUTPUT_EXTENSION, write_video
    os.makedirs(osp.dirname(target_stem) or '.', exist_ok=True)
    if pixels.ndim == 4:
        write_video(target_stem + VIDEO_OUTPUT_EXTENSION, pixels, fps)
        return target_stem + VIDEO_OUTPUT_EXTENSION
    Image.fromarray(pixels).save(target_stem + '.png')
    return target_stem + '.png'


def pixel_scores(original: np.ndarray, recon: np.ndarray) -> Dict[str, float]:
    """PSNR and SSIM of 8-bit pixels, ``(H, W, 3)`` or frames ``(T, H, W, 3)`` (averaged
    over the frames), as the metrics compute them; SSIM needs sides of 7 pixels."""
    from vitok_mm.evaluation.functional import psnr, ssim
    a = torch.from_numpy(original.reshape(-1, *original.shape[-3:])).permute(0, 3, 1, 2)
    b = torch.from_numpy(recon.reshape(-1, *recon.shape[-3:])).permute(0, 3, 1, 2)
    a, b = a.double() / 255, b.double() / 255
    scores = dict(psnr=float(psnr(b, a).mean()))
    if min(original.shape[-3:-1]) >= 7:
        scores['ssim'] = float(ssim(b.float(), a.float()).mean())
    return scores


def reconstruct_files(tokenizer, inputs: Sequence[str], out: str, compare: bool = False,
                      progress: bool = True) -> FilesResult:
    """Reconstruct every input file (files or folders) into ``out``."""
    files, failed = collect_inputs(inputs, input_extensions(tokenizer))
    result = FilesResult(failed=dict(failed))

    def work(path: str, name: str) -> Dict:
        original, fps = _read(tokenizer, path)
        recon = tokenizer.reconstruct(original)
        if recon.shape != original.shape:  # resize= / max_tokens=: score at that size
            original = to_uint8(tokenizer.preprocess(original))
        stem = osp.join(out, osp.splitext(name)[0])
        target = _write_pixels(stem, recon, fps)
        if compare:
            _write_pixels(stem + '.compare', np.concatenate([original, recon], axis=-2), fps)
        return dict(pixel_scores(original, recon), output=target)

    _for_each(files, work, result, progress)
    mean = {key: float(np.mean([s[key] for s in result.scores.values() if key in s]))
            for key in ('psnr', 'ssim') if any(key in s for s in result.scores.values())}
    _write_summary(out, result, mean=mean)
    return result


def encode_files(tokenizer, inputs: Sequence[str], out: str, source: str = '',
                 sample: bool = False, seed: int = 0, progress: bool = True) -> FilesResult:
    """Encode every input file into ``out/<name>.safetensors`` (see
    :func:`~vitok_mm.cli.latent_files.save_latent`); ``source`` names the tokenizer
    (config or model name) in the files."""
    from .latent_files import save_latent
    files, failed = collect_inputs(inputs, input_extensions(tokenizer))
    result = FilesResult(failed=dict(failed))

    def work(path: str, name: str) -> Dict:
        pixels, fps = _read(tokenizer, path)
        generator = torch.Generator().manual_seed(seed) if sample else None
        size = tuple(tokenizer.preprocess(pixels).shape[1:])
        latent = tokenizer.encode(pixels, sample=sample, generator=generator)[0]
        target = osp.join(out, osp.splitext(name)[0] + LATENT_EXTENSION)
        save_latent(target, latent, size, tokenizer.fingerprint, tokenizer_name=source,
                    source_file=path, fps=fps)
        return dict(output=target, latent_shape=list(latent.shape), source_size=list(size))

    _for_each(files, work, result, progress)
    _write_summary(out, result, tokenizer=source, fingerprint=tokenizer.fingerprint)
    return result


def decode_files(tokenizer, inputs: Sequence[str], out: str,
                 progress: bool = True) -> FilesResult:
    """Decode every ``.safetensors`` latent of ``inputs`` into ``out`` at its source size,
    refusing latents that another tokenizer made."""
    from .latent_files import load_latent
    files, failed = collect_inputs(inputs, (LATENT_EXTENSION, ), what='latent files')
    result = FilesResult(failed=dict(failed))

    def work(path: str, name: str) -> Dict:
        record = load_latent(path)
        record.check_tokenizer(tokenizer)
        pixels = tokenizer.decode(record.latent[None], record.source_size)[0]
        target = _write_pixels(osp.join(out, osp.splitext(name)[0]),
                               to_uint8(pixels), record.fps)
        return dict(output=target)

    _for_each(files, work, result, progress)
    _write_summary(out, result, fingerprint=tokenizer.fingerprint)
    return result


__all__ = ['FilesResult', 'collect_inputs', 'decode_files', 'encode_files', 'input_extensions',
           'pixel_scores', 'reconstruct_files']
