"""Tokenizers side by side on one set of images: ``vitok-mm evaluate``.

Every tokenizer (ours, a saved folder, ``hf://``, or another library's VAE by its index
name, e.g. ``sd-vae-ft-mse``) reconstructs the same views of the same images, and one
table holds them all: PSNR and SSIM always; LPIPS where the VGG weights are at hand;
rFID/rIS where the Inception weights are at hand and there are at least
:data:`MIN_FID_IMAGES` images (fewer give a number dominated by the estimate's bias);
E and tokens per image; encode and decode images per second and the peak memory of
the run on this device.

The images: a folder, or a dataset config whose test pipeline makes the views (e.g. the
quick start's ``configs/_base_/datasets/quickstart_photos_64p.py``: the numbers then
equal the quick start's). On top, the view protocol: ``size=S`` resizes each image's
short side to S (bicubic, antialiased) and centre-crops S x S, as the paper evaluates at
256p; ``max_tokens=N`` shrinks each image (aspect ratio kept) until its token grid fits N
tokens of the tokenizer with the *largest* patch, so every tokenizer sees the same
pixels; neither: each image as it is (tokenizers pad to their patch size and crop back).
Reconstructions are rounded to 8 bits and scored exactly as
:func:`~vitok_mm.workflows.scoring.score_folders` scores files.

Writes ``table.md``, ``table.csv``, ``results.json`` and, with ``grid``, ``crops.png``
(a row per image: the original's centre crop, then each tokenizer's, zoomed).
"""
import csv
import functools
import json
import os
import os.path as osp
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from vitok_mm.apis import Tokenizer
from vitok_mm.apis.pretrained import latent_size
from vitok_mm.apis.tokenizer import fit_to_token_budget, to_uint8

from .scoring import score_pairs

#: Fewer images than this give no rFID (its bias dominates a small sample).
MIN_FID_IMAGES = 500
COLUMNS = ('tokenizer', 'PSNR', 'SSIM', 'LPIPS', 'rFID', 'rIS', 'E', 'tokens',
           'encode img/s', 'decode img/s', 'peak MiB')


@dataclass
class EvaluationResult:
    rows: List[dict]
    table_path: str
    csv_path: str
    json_path: str
    grid_path: Optional[str]
    notes: List[str]


def load_images(data: str, limit: Optional[int] = None) -> Dict[str, torch.Tensor]:
    """The images of ``data`` as ``{name: (3, H, W) uint8}``: a folder (searched
    recursively; names are relative paths), or a dataset config (``.py``: its
    ``test_dataloader``'s dataset, else ``val_dataloader``'s, whose pipeline makes the
    views, e.g. the paper's resize and centre crop). ``limit``: the first ``limit`` only.

    Raises:
        ValueError: ``data`` is neither, holds no images, or is a video dataset.
    """
    if data.endswith('.py') and osp.isfile(data):
        return _dataset_images(data, limit)
    from vitok_mm.datasets import find_images
    from vitok_mm.datasets.transforms import LoadImage
    if not osp.isdir(data):
        raise ValueError(f'--data {data} is neither a folder of images (searched '
                         'recursively for .jpg, .png, ...) nor a dataset config (.py).')
    names = find_images(data)[:limit]
    if not names:
        raise ValueError(f'--data {data} holds no images.')
    loader = LoadImage(exif_orientation=True)  # the photos as displayed
    return {name: torch.from_numpy(loader(dict(img_path=osp.join(data, name)))['img'])
            .permute(2, 0, 1).contiguous() for name in names}


def _dataset_images(config: str, limit: Optional[int]) -> Dict[str, torch.Tensor]:
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from vitok_mm.registry import DATASETS
    from vitok_mm.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if not loader or 'dataset' not in loader:
        raise ValueError(f'--data {config} has no test_dataloader or val_dataloader with a '
                         'dataset: give a dataset config (configs/_base_/datasets/...) or a '
                         'folder of images.')
    with DefaultScope.overwrite_default_scope('vitok_mm'):
        dataset = DATASETS.build(loader['dataset'])
    count = len(dataset) if limit is None else min(limit, len(dataset))
    if count == 0:
        raise ValueError(f'--data {config}: its dataset is empty.')
    images = {}
    for index in range(count):
        item = dataset[index]
        pixels = item['inputs']
        if pixels.ndim != 3:
            raise ValueError(f'--data {config} is a video dataset ({tuple(pixels.shape)} per '
                             'sample); evaluate compares image tokenizers.')
        path = item['data_samples'].metainfo.get('img_path')
        images[osp.basename(path) if path else f'{index:06d}'] = pixels
    return images


def make_view(image: torch.Tensor, size: Optional[int], max_tokens: Optional[int],
              patch: int) -> torch.Tensor:
    """One image's view (uint8 ``(3, H, W)``) under the protocol of the module docstring."""
    h, w = image.shape[-2:]
    if size is None and max_tokens is None:
        return image
    if size is not None:
        scale = size / min(h, w)
        target = (max(size, round(h * scale)), max(size, round(w * scale)))
    else:
        target = fit_to_token_budget(h, w, patch, max_tokens)
    x = image.float()[None]
    if tuple(target) != (h, w):
        x = F.interpolate(x, size=target, mode='bicubic', antialias=True, align_corners=False)
    if size is not None:
        top, left = (x.shape[-2] - size) // 2, (x.shape[-1] - size) // 2
        x = x[..., top:top + size, left:left + size]
    return x[0].round().clamp(0, 255).byte()


def _unit(view: torch.Tensor) -> torch.Tensor:
    return view.float() / 127.5 - 1


def _measure(tokenizer: Tokenizer, views: List[torch.Tensor]):
    """``(reconstructions uint8, encode s, decode s)`` of the views, timed apart after a
    warm-up pass on the first batch."""
    from vitok_mm.analysis.device import synchronize
    pixels = [_unit(v) for v in views]
    # Warm-up on one batch: first-call costs (kernel selection, allocation) are not speed.
    warm = tokenizer.encode(pixels[:tokenizer.batch_size])
    tokenizer.decode(warm)
    synchronize(tokenizer.device)
    start = time.perf_counter()
    latents = tokenizer.encode(pixels)
    synchronize(tokenizer.device)
    encoded = time.perf_counter()
    if isinstance(latents, torch.Tensor):
        recons = list(tokenizer.decode(latents, pixels[0].shape[1:]))
    else:
        recons = tokenizer.decode(latents, [p.shape[1:] for p in pixels])
    synchronize(tokenizer.device)
    decoded = time.perf_counter()
    recons = [torch.from_numpy(to_uint8(r)).permute(2, 0, 1) for r in recons]
    return recons, encoded - start, decoded - encoded


def _measure_into(result: dict, tokenizer: Tokenizer, views: List[torch.Tensor]) -> None:
    result['out'] = _measure(tokenizer, views)


def _fmt(value, digits: int) -> str:
    return '-' if value is None else f'{value:.{digits}f}'


def evaluate_tokenizers(models: Sequence[str], data: str, out: str,
                        size: Optional[int] = None, max_tokens: Optional[int] = None,
                        device: str = 'cpu', batch_size: int = 8, grid: bool = False,
                        inception_weights: Optional[str] = None,
                        lpips_weights: Optional[str] = None,
                        min_fid_images: int = MIN_FID_IMAGES, limit: Optional[int] = None,
                        log: Callable[[str], None] = print) -> EvaluationResult:
    """Score ``models`` (what :meth:`Tokenizer.from_pretrained` takes) on the images of
    ``data`` (a folder or a dataset config: :func:`load_images`) and write the table (see
    the module docstring).

    Raises:
        ValueError: no models, both ``size`` and ``max_tokens``, a bad folder, an unknown
            name (one line each, naming it).
    """
    from vitok_mm.analysis.memory import MIB, peak_memory
    if not models:
        raise ValueError('give at least one tokenizer (a name, folder, config or hf://).')
    if size is not None and max_tokens is not None:
        raise ValueError('give --size (a square view) or --max-tokens (a token budget), '
                         'not both.')
    images = load_images(data, limit)
    tokenizers = {}
    for model in models:
        log(f'loading {model}')
        tokenizers[model] = Tokenizer.from_pretrained(model, device=device,
                                                      batch_size=batch_size)
    patch = max(t.patch_size for t in tokenizers.values())
    views = {name: make_view(image, size, max_tokens, patch) for name, image in images.items()}
    names = list(views)
    fid = len(names) >= min_fid_images
    notes = [] if fid else [f'rFID/rIS: {len(names)} images, fewer than the {min_fid_images} '
                            'they need to mean something; not computed.']
    rows, recon_of = [], {}
    target = torch.device(device)
    for model, tokenizer in tokenizers.items():
        log(f'reconstructing {len(names)} image(s) with {model}')
        result = {}
        run = functools.partial(_measure_into, result, tokenizer, [views[n] for n in names])
        peak = peak_memory(run, target)
        recons, encode_s, decode_s = result['out']
        recon_of[model] = recons
        scores = score_pairs([(_unit(views[n]), _unit(r)) for n, r in zip(names, recons)],
                             inception_weights, lpips_weights, device, fid=fid)
        for key, why in scores['skipped'].items():
            note = f'{key.upper()}: {why}'
            if key in ('lpips', 'rfid') and note not in notes and why != 'turned off':
                notes.append(note)
        tokens_e = [latent_size(tokenizer.model, tuple(views[n].shape[1:])) for n in names]
        rows.append(dict(
            tokenizer=model, psnr=scores['psnr'], ssim=scores['ssim'], lpips=scores['lpips'],
            rfid=scores['rfid'], ris=scores['ris'],
            E=float(np.mean([e for _, e in tokens_e])),
            tokens=float(np.mean([t for t, _ in tokens_e])),
            encode_images_per_s=len(names) / encode_s, decode_images_per_s=len(names) / decode_s,
            peak_mib=peak / MIB, num_images=len(names), patch_size=tokenizer.patch_size,
            fingerprint=tokenizer.fingerprint))
    os.makedirs(out, exist_ok=True)
    table = [COLUMNS] + [(r['tokenizer'], _fmt(r['psnr'], 2), _fmt(r['ssim'], 4),
                          _fmt(r['lpips'], 4), _fmt(r['rfid'], 2), _fmt(r['ris'], 2),
                          f'{r["E"]:.0f}', f'{r["tokens"]:.0f}',
                          f'{r["encode_images_per_s"]:.1f}', f'{r["decode_images_per_s"]:.1f}',
                          f'{r["peak_mib"]:.0f}') for r in rows]
    protocol = (f'short side {size}, centre crop {size}x{size}' if size else
                f'at most {max_tokens} tokens of patch {patch}' if max_tokens else
                'each image at its own size')
    header = [f'{len(names)} image(s) of `{data}`, {protocol}; on {device} '
              f'({torch.get_num_threads()} threads) with batch size {batch_size}.', '']
    lines = header + ['| ' + ' | '.join(row) + ' |' for row in table[:1]]
    lines += ['|' + '|'.join('---' for _ in COLUMNS) + '|']
    lines += ['| ' + ' | '.join(row) + ' |' for row in table[1:]]
    lines += [''] + [f'- {n}' for n in notes]
    paths = {k: osp.join(out, f) for k, f in (('md', 'table.md'), ('csv', 'table.csv'),
                                              ('json', 'results.json'))}
    with open(paths['md'], 'w') as f:
        f.write('\n'.join(lines).rstrip() + '\n')
    with open(paths['csv'], 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(paths['json'], 'w') as f:
        json.dump(dict(rows=rows, images=names, data=data, size=size, max_tokens=max_tokens,
                       device=device, notes=notes), f, indent=2)
    grid_path = None
    if grid:
        grid_path = osp.join(out, 'crops.png')
        _save_crops(grid_path, [views[n] for n in names], recon_of)
    return EvaluationResult(rows, paths['md'], paths['csv'], paths['json'], grid_path, notes)


def _save_crops(path: str, views: List[torch.Tensor], recon_of: Dict[str, list],
                crop: int = 64, max_images: int = 6, zoom: int = 3) -> None:
    """A row per image (up to ``max_images``): its centre ``crop`` x ``crop``, then each
    tokenizer's, ``zoom`` times larger."""
    from vitok_mm.visualization import save_image_rows

    def centre(x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        c = min(crop, h, w)
        top, left = (h - c) // 2, (w - c) // 2
        return _unit(x[:, top:top + c, left:left + c])
    rows = []
    side = min(min(crop, *v.shape[-2:]) for v in views[:max_images])
    for i, view in enumerate(views[:max_images]):
        cells = [centre(view)] + [centre(recons[i]) for recons in recon_of.values()]
        rows.append(torch.stack([F.interpolate(c[None], size=(side, side))[0]
                                 if c.shape[-1] != side else c for c in cells]))
    save_image_rows(path, rows, zoom=zoom)


__all__ = ['COLUMNS', 'EvaluationResult', 'MIN_FID_IMAGES', 'evaluate_tokenizers',
           'load_images', 'make_view']
