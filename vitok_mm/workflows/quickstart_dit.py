"""The generation quick start: a tiny DiT on the latents of the image quick start's
tokenizer, trained on the CPU in minutes, and judged without an Inception network.

:func:`run_dit_quickstart` (``bash tools/quickstart.sh dit``):

1. finds the stage-1 tokenizer of ``bash tools/quickstart.sh`` (its ``summary.json``);
2. labels each of the 16 training photos as its own class and caches ``views`` seeded
   views of each (``<work dir>/latents/train``), plus fresh views with another seed
   (``latents/reference``): real latents the generator never saw;
3. trains ``configs/quickstart/dit_tiny_64p.py`` (``<work dir>/train``);
4. samples ``samples_per_class`` latents per class from the trained network (its EMA
   weights, with the config's solver) at each guidance scale, and scores them, with the
   starting noise as the floor (``untrained``: what an untrained DiT returns through the
   ODE) and the fresh real views as the ceiling:
   - ``probe_acc``: a linear probe fitted on the cached training latents classifies
     the samples as the class they were asked for (chance 1/16);
   - ``nearest_view_psnr``: mean PSNR of each decoded sample to its nearest decoded
     training view (does it look like a photo of the set?);
   - ``latent_fd``: Frechet distance of flattened latents, on the top 64 principal
     directions of the training latents, to the training latents; its floor is the
     fresh real views' distance;
   - ``blockiness``: the decoded samples' patch-grid ratio (1: no grid) on the
     tokenizer's patches, against the decoded fresh real views' (``blockiness_per_class``:
     the same per class, where a flat photo's grid shows); with a DiT patch ``g >
     1`` also ``blockiness_generator``, on the DiT's tokens (``g`` tokenizer patches a
     side), where a generator's mosaic shows;
5. writes ``<work dir>/summary.json`` and ``samples.png`` (a row per class).
"""
import json
import os
import os.path as osp
import shutil
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import torch

from vitok_mm.apis.generation import load_generator, load_tokenizer
from vitok_mm.evaluation.functional import (
    blockiness,
    fit_linear_probe,
    latent_frechet_distance,
    nearest_view_psnr,
    pca_basis,
    probe_accuracy,
)
from vitok_mm.utils.latent_cache import read_manifest
from vitok_mm.visualization import save_image_rows

from .latents import extract_latents
from .runner import build_runner, load_config
from .samples import build_sample_folders

QUICKSTART_COMMAND = 'bash tools/quickstart.sh'
#: Principal directions the latent Frechet distance is measured on.
PCA_COMPONENTS = 64


def quickstart_tokenizer(tokenizer_dir: str) -> Dict[str, str]:
    """The image quick start's stage-1 tokenizer: ``dict(config=, checkpoint=)``.

    Raises:
        FileNotFoundError: the image quick start has not run (or its checkpoint is
            gone); the message names the command that makes it.
    """
    summary = osp.join(tokenizer_dir, 'summary.json')
    entry = {}
    if osp.isfile(summary):
        with open(summary) as f:
            entry = json.load(f).get('stage1', {})
    checkpoint = entry.get('checkpoint')
    if not checkpoint or not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'the DiT quick start encodes with the image quick start\'s stage-1 tokenizer, '
            f'but {checkpoint or summary} does not exist. Run `{QUICKSTART_COMMAND}` first '
            f'(about 6-9 minutes; `{QUICKSTART_COMMAND} --no-stage2` is enough).')
    return dict(config=entry.get('config') or 'configs/quickstart/vitok_tiny_64p.py',
                checkpoint=checkpoint)


def write_label_file(data: str, path: str) -> List[str]:
    """One ``name label`` line per training photo (sorted, label = position); returns
    the names."""
    folder = osp.join(data, 'train')
    names = sorted(n for n in os.listdir(folder) if not n.startswith('.'))
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'w') as f:
        f.writelines(f'{name} {label}\n' for label, name in enumerate(names))
    return names


def cached_latents(cache: str) -> Dict[str, torch.Tensor]:
    """All latents of a cache and their labels."""
    from vitok_mm.datasets import LatentDataset
    dataset = LatentDataset(cache)
    items = [dataset[i] for i in range(len(dataset))]
    return dict(latents=torch.stack([item['inputs'] for item in items]),
                labels=torch.tensor([item['data_samples'].label for item in items]))


@dataclass
class DitQuickstartResult:
    """What :func:`run_dit_quickstart` wrote and measured."""
    summary: dict
    summary_path: str
    grid_path: str


def run_dit_quickstart(config: str = 'configs/quickstart/dit_tiny_64p.py',
                       views_config: str = 'configs/_base_/datasets/quickstart_dit_views_64p.py',
                       work_dir: str = 'work_dirs/quickstart_dit',
                       tokenizer_dir: str = 'work_dirs/quickstart', data: str = 'data/samples',
                       views: int = 64, reference_views: int = 8, samples_per_class: int = 16,
                       cfg_scales: Sequence[float] = (1.0, 1.5),
                       cfg_options: Optional[dict] = None,
                       log: Callable[[str], None] = print,
                       tokenizer: Optional[Dict[str, str]] = None) -> DitQuickstartResult:
    """The generation quick start (see the module docstring); returns its summary.

    ``tokenizer`` (``dict(config=, checkpoint=)``) replaces the image quick start's
    tokenizer (found in ``tokenizer_dir``): a scaling sweep runs each of its tokenizers
    through this probe. The generator's ``latent_shape`` follows the cached latents.
    """
    start = time.perf_counter()
    tokenizer_files = dict(tokenizer) if tokenizer else quickstart_tokenizer(tokenizer_dir)
    build_sample_folders(data)
    label_file = osp.abspath(osp.join(work_dir, 'labels.txt'))
    names = write_label_file(data, label_file)
    view_options = {'train_dataloader.dataset.data_root': data,
                    'train_dataloader.dataset.ann_file': label_file}
    caches = {}
    for kind, count, seed in (('train', views, 0), ('reference', reference_views, 1)):
        caches[kind] = osp.join(work_dir, 'latents', kind)
        log(f'caching {count} views of each of {len(names)} photos ({kind}, seed {seed}) '
            f'with {tokenizer_files["checkpoint"]}')
        if osp.isdir(caches[kind]):
            shutil.rmtree(caches[kind])  # a quick start is a fresh run
        extract_latents(tokenizer_files['config'], tokenizer_files['checkpoint'], views_config,
                        caches[kind], views=count, seed=seed, dtype='float32',
                        cfg_options=view_options, progress=False)
    cache_seconds = time.perf_counter() - start

    train_dir = osp.join(work_dir, 'train')
    if osp.isdir(train_dir):
        shutil.rmtree(train_dir)
    latent_shape = tuple(read_manifest(caches['train'])['latent_shape'])
    options = {'model.latent_shape': latent_shape,
               'model.data_preprocessor.num_channels': latent_shape[0],
               'model.data_preprocessor.cache': caches['train'],
               'train_dataloader.dataset.cache': caches['train'],
               'val_dataloader.dataset.cache': caches['reference'],
               'model.num_classes': len(names),
               'tokenizer': tokenizer_files}
    options.update(cfg_options or {})
    cfg = load_config(config, options, work_dir=train_dir)
    log(f'training {config} in {train_dir}')
    train_start = time.perf_counter()
    runner = build_runner(cfg)
    runner.train()
    train_seconds = time.perf_counter() - train_start
    checkpoint = osp.join(train_dir, f'iter_{runner.iter}.pth')
    dumped = osp.join(train_dir, osp.basename(config))
    trained = load_generator(dumped, checkpoint, weights='ema')
    del runner
    tokenizer = load_tokenizer(tokenizer_files['config'], tokenizer_files['checkpoint'],
                               trained)

    log('sampling and scoring')
    train = cached_latents(caches['train'])
    reference = cached_latents(caches['reference'])
    normalize = trained.data_preprocessor.normalize
    train_z, reference_z = normalize(train['latents']), normalize(reference['latents'])
    probe = fit_linear_probe(train_z, train['labels'], len(names))
    basis = pca_basis(train_z, min(PCA_COMPONENTS, *train_z.flatten(1).shape))
    with torch.no_grad():
        train_views = tokenizer.decode(train['latents']).clamp(-1, 1)

    generator_patch = int(getattr(trained.generator, 'patch_size', 1))

    def score(latents: torch.Tensor, labels: torch.Tensor) -> Dict[str, float]:
        with torch.no_grad():
            pixels = tokenizer.decode(trained.data_preprocessor.denormalize(latents))
        pixels = pixels.clamp(-1, 1)
        unit, patch = (pixels + 1) / 2, int(tokenizer.patch_size)
        grid = blockiness(unit, patch)
        scores = dict(probe_acc=round(probe_accuracy(probe, latents, labels), 4),
                      nearest_view_psnr=round(float(nearest_view_psnr(pixels, train_views)
                                                    .mean()), 3),
                      latent_fd=round(latent_frechet_distance(train_z, latents, basis), 2),
                      blockiness=round(float(grid.mean()), 3),
                      blockiness_per_class={
                          name: round(float(grid[labels == i].mean()), 3)
                          for i, name in enumerate(names) if (labels == i).any()})
        if generator_patch > 1:
            scores['blockiness_generator'] = round(float(
                blockiness(unit, patch * generator_patch).mean()), 3)
        return scores, pixels

    labels = torch.arange(len(names)).repeat_interleave(samples_per_class)
    generators = lambda: [torch.Generator().manual_seed(1000 + i)  # noqa: E731
                          for i in range(labels.numel())]
    results, grids = {}, {}
    sample_start = time.perf_counter()
    # The floor: the starting noise itself, what an untrained DiT returns through the ODE
    # (its output starts at zero). Not the untrained DiT through the model's solver: an
    # SDE's Langevin term pulls zero-velocity samples to the mean latent, a flat grey
    # picture that the nearest-view PSNR scores above real views.
    results['untrained'], _ = score(trained.initial_noise(labels.numel(), generators()), labels)
    for scale in cfg_scales:
        with torch.autocast('cpu', dtype=torch.bfloat16):
            fake = trained.sample(labels, generator=generators(), cfg_scale=scale,
                                  normalized=True)
        results[f'cfg_{scale:g}'], grids[scale] = score(fake, labels)
    sample_seconds = time.perf_counter() - sample_start
    results['real_views'], _ = score(reference_z, reference['labels'])

    summary = dict(
        results=results, classes=names, views_per_class=views,
        reference_views_per_class=reference_views, samples_per_class=samples_per_class,
        solver=trained.solver_config(), iters=int(cfg.train_cfg.max_iters),
        params=sum(p.numel() for p in trained.generator.parameters()),
        seconds=dict(cache=round(cache_seconds, 1), train=round(train_seconds, 1),
                     sample_and_score=round(time.perf_counter() - sample_start, 1),
                     sampling=round(sample_seconds, 1),
                     total=round(time.perf_counter() - start, 1)),
        checkpoint=checkpoint, tokenizer=tokenizer_files, config=config)
    os.makedirs(work_dir, exist_ok=True)
    summary_path = osp.join(work_dir, 'summary.json')
    with open(summary_path, 'w') as f:
        json.dump(summary, f, indent=2)
    # A row per class: the most guided samples, up to 8 per class.
    shown = grids[max(cfg_scales)].view(len(names), samples_per_class,
                                        *grids[max(cfg_scales)].shape[1:])[:, :8]
    grid_path = osp.join(work_dir, 'samples.png')
    save_image_rows(grid_path, list(shown), zoom=2)
    return DitQuickstartResult(summary, summary_path, grid_path)


def dit_results_table(result: DitQuickstartResult):
    """``(header, rows)`` of the DiT quick start's report."""
    results = result.summary['results']
    on_generator = all('blockiness_generator' in scores for scores in results.values())
    header = ('samples', 'probe accuracy', 'nearest-view PSNR (dB)', 'latent FD', 'grid')
    header += ('grid (DiT patch)', ) if on_generator else ()
    names = {'untrained': 'untrained (noise)', 'real_views': 'real views (fresh)'}
    rows = []
    for key, scores in results.items():
        label = names.get(key, key.replace('cfg_', 'trained, CFG '))
        row = (label, f'{scores["probe_acc"]:.3f}', f'{scores["nearest_view_psnr"]:.2f}',
               f'{scores["latent_fd"]:.1f}', f'{scores["blockiness"]:.2f}')
        rows.append(row + ((f'{scores["blockiness_generator"]:.2f}', ) if on_generator
                           else ()))
    return header, rows


__all__ = ['DitQuickstartResult', 'dit_results_table', 'quickstart_tokenizer',
           'run_dit_quickstart']
