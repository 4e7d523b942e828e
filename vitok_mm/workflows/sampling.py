"""Sampling a trained latent generator into a folder of images (or clips):
``tools/sample_dit.py``, the input of gFID/gIS.

Sample ``i`` of a run is fully determined by ``(seed, i)``: its class, its starting noise
and, for DDPM, every noise it adds, so it is the same whatever the batch size or the
number of processes, and a rerun only makes the samples that are missing. A folder made
with other settings is refused. The sampling itself is
:meth:`vitok_mm.apis.Generator.sample_arrays`, what ``Generator.sample`` runs too.
"""
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import barrier, get_dist_info
from mmengine.utils import ProgressBar
from PIL import Image

from vitok_mm.apis.generation import WEIGHTS
from vitok_mm.utils.folder_lock import lock_folder
from vitok_mm.utils.processes import init_distributed, local_device
from vitok_mm.utils.storage import staged_file
from vitok_mm.utils.weights import file_sha256, weights_fingerprint

SETTINGS_FILE = 'settings.json'
IMAGE_DIR = 'images'


def sample_labels(num_samples: int, classes: Sequence[int], class_balanced: bool,
                  seed: int, start: int = 0) -> List[int]:
    """Class of samples ``start .. num_samples - 1``: ``classes`` in turn when
    ``class_balanced``, else drawn uniformly with a generator seeded by ``(seed, i)``."""
    from vitok_mm.models.generators.latent_diffusion import sample_seed
    if class_balanced:
        return [int(classes[i % len(classes)]) for i in range(start, num_samples)]
    draws = []
    for i in range(start, num_samples):
        g = torch.Generator().manual_seed(sample_seed(seed + 7919, i))
        draws.append(int(classes[int(torch.randint(len(classes), (1, ), generator=g))]))
    return draws


def write_sample(folder: str, index: int, array: np.ndarray) -> None:
    """One sample as ``{index:06d}.png`` (image) or ``.gif`` (clip), atomically."""
    suffix = '.png' if array.ndim == 3 else '.gif'
    path = osp.join(folder, f'{index:06d}{suffix}')
    with staged_file(path, needed=array.nbytes, suffix=suffix,
                     rerun='rerun the same command: finished samples are kept') as partial:
        if array.ndim == 3:
            Image.fromarray(array).save(partial)
        else:
            frames = [Image.fromarray(frame) for frame in array]
            frames[0].save(partial, save_all=True, append_images=frames[1:], duration=125,
                           loop=0)


def _done(folder: str) -> Dict[int, str]:
    done = {}
    for name in os.listdir(folder):
        stem, ext = osp.splitext(name)
        if ext in ('.png', '.gif') and stem.isdigit() and '.partial-' not in name:
            done[int(stem)] = name
    return done


def _agree(out: str, settings: Dict[str, Any]) -> None:
    path = osp.join(out, SETTINGS_FILE)
    if not osp.isfile(path):
        return
    with open(path) as f:
        existing = json.load(f)
    differ = [k for k in settings if k != 'num_samples' and existing.get(k) != settings[k]]
    if differ:
        details = ', '.join(f'{k}: {existing.get(k)!r} there, {settings[k]!r} now'
                            for k in differ)
        raise ValueError(f'{out} holds samples made with other settings ({details}); '
                         'use another --out, or the same settings to fill it in.')


def sample_to_folder(config: str, checkpoint: str, tokenizer_config: str,
                     tokenizer_checkpoint: str, out: str, num_samples: int = 50_000,
                     cfg_scale: float = 1.5, guidance_interval: Optional[Sequence[float]] = None,
                     solver: Optional[str] = None, num_steps: Optional[int] = None,
                     classes: Optional[Sequence[int]] = None, class_balanced: bool = False,
                     seed: int = 0, batch_size: int = 32, weights: str = 'ema',
                     device: Optional[str] = None, launcher: str = 'none',
                     write_npz: bool = True, progress: bool = True) -> Dict[str, Any]:
    """Sample ``num_samples`` images (clips) of a generator into ``out``.

    Writes ``out/images/{i:06d}.png`` (clips: ``.gif``), ``out/labels.json``,
    ``out/settings.json`` and, for images, an ADM-style ``out/samples.npz`` (``arr_0``
    uint8 ``(N, H, W, 3)``, ``arr_1`` labels), the input of gFID/gIS evaluation.

    Args:
        config, checkpoint: the generator; ``weights`` ``'ema'`` (default) or ``'raw'``.
        tokenizer_config, tokenizer_checkpoint: the tokenizer it was trained on (checked).
        cfg_scale, guidance_interval: classifier-free guidance (1: none).
        solver, num_steps: e.g. ``'ddpm'`` and 250 (default: DDPM-250 for diffusion,
            Heun-50 for flow).
        classes: the classes to sample (default all); ``class_balanced``: in turn, else
            uniformly at random.
        launcher: ``'pytorch'`` under torchrun: each process makes every world_size-th
            sample.

    Returns: a summary (``num_samples``, ``made`` by this call, ``nfe`` per sample, paths).
    """
    from vitok_mm.models.diffusion import check_guidance
    from vitok_mm.models.generators.latent_diffusion import guided_nfe
    if num_samples < 1 or batch_size < 1:
        raise ValueError(f'num_samples ({num_samples}) and batch_size ({batch_size}) must be '
                         'positive.')
    check_guidance(cfg_scale, guidance_interval)
    init_distributed(launcher, 'sample_to_folder')
    rank, world_size = get_dist_info()
    device = str(local_device(device))
    from vitok_mm.apis.generator import Generator
    generator = Generator.from_pretrained(config, checkpoint,
                                          tokenizer=(tokenizer_config, tokenizer_checkpoint),
                                          device=device, weights=weights)
    model = generator.model
    classes = list(range(model.num_classes)) if classes is None else [int(c) for c in classes]
    model.check_labels(classes)
    chosen = generator.solver(solver, num_steps)
    settings = dict(config=config, checkpoint_sha256=file_sha256(checkpoint), weights=weights,
                    tokenizer_sha256=weights_fingerprint(tokenizer_checkpoint),
                    cfg_scale=float(cfg_scale),
                    guidance_interval=list(guidance_interval) if guidance_interval else None,
                    solver=type(chosen).__name__, num_steps=chosen.num_steps, seed=seed,
                    classes=classes, class_balanced=class_balanced, num_samples=num_samples)
    images = osp.join(out, IMAGE_DIR)
    if rank == 0:
        lock_folder(out, 'sampling run')  # one sampler per folder (one line naming it)
    os.makedirs(images, exist_ok=True)
    if rank == 0:
        _agree(out, settings)
        for name in os.listdir(images):
            if '.partial-' in name:
                os.remove(osp.join(images, name))
        with open(osp.join(out, SETTINGS_FILE), 'w') as f:
            json.dump(settings, f, indent=2)
    if world_size > 1:
        barrier()
    labels = sample_labels(num_samples, classes, class_balanced, seed)
    done = _done(images)
    todo = [i for i in range(rank, num_samples, world_size) if i not in done]
    bar = ProgressBar(len(todo)) if progress and rank == 0 and todo else None
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        arrays = generator.sample_arrays(batch, [labels[i] for i in batch], seed, chosen,
                                         cfg_scale, guidance_interval)
        for index, array in zip(batch, arrays):
            write_sample(images, index, array)
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        print(flush=True)
    if world_size > 1:
        barrier()
    summary = dict(num_samples=num_samples, made=len(todo), folder=images,
                   nfe=guided_nfe(chosen, cfg_scale), solver=settings['solver'],
                   num_steps=settings['num_steps'], cfg_scale=cfg_scale)
    if rank == 0:
        with open(osp.join(out, 'labels.json'), 'w') as f:
            json.dump(labels, f)
        files = _done(images)
        if write_npz and all(name.endswith('.png') for name in files.values()):
            from vitok_mm.utils.samples_npz import write_samples_npz
            arrays = np.stack([np.asarray(Image.open(osp.join(images, files[i])).convert('RGB'))
                               for i in range(num_samples)])
            write_samples_npz(osp.join(out, 'samples.npz'), arrays, np.asarray(labels))
            summary['npz'] = osp.join(out, 'samples.npz')
    return summary


__all__ = ['IMAGE_DIR', 'SETTINGS_FILE', 'WEIGHTS', 'sample_labels', 'sample_to_folder',
           'write_sample']
