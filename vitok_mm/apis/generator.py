"""A trained latent generator for use: class ids in, pictures out.

    from vitok_mm.apis import Generator
    gen = Generator.from_pretrained('vitok-dit-tiny-64p')       # after the DiT quick start
    images = gen.sample([3, 7], per_class=4, cfg_scale=1.5)     # 8 PIL images
    gen.save_pretrained('my-dit')                               # a folder, Hub-ready

A generator (``LatentDiffusion``: a DiT and its diffusion process) makes latents; the
tokenizer it was trained on decodes them. The pair is checked: the latent statistics a
generator checkpoint keeps carry the fingerprint of the tokenizer weights they were
computed with, and a tokenizer with another fingerprint is refused, naming both.

Sample ``i`` of a call depends only on ``(seed, i)`` (its starting noise and, for DDPM,
every noise it adds): the same at any batch size, and the same as sample ``i`` of
``tools/sample_dit.py`` with ``--class-balanced`` and the same classes and seed, which
runs this code (:meth:`Generator.sample_arrays`).

The saved folder (:meth:`Generator.save_pretrained`) is the tokenizer's format
(:mod:`vitok_mm.apis.pretrained`) with ``"kind": "generator"`` in ``vitok.json``:
``config.py`` (the generator's model config and the solver and guidance it samples with),
``model.safetensors`` (its weights with the latent statistics and the tokenizer's
fingerprint), ``vitok.json`` (latent shape, classes, each channel's latent mean and std,
where the tokenizer is) and ``README.md``. The tokenizer is named when its weights can
be downloaded (an index name on the Hub or at a URL), else saved beside it in
``tokenizer/``.
"""
import datetime
import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config

from .generation import WEIGHTS, check_latent_shape, is_generator_config, load_generator
from .tokenizer import Tokenizer, to_uint8

#: The subfolder of a saved generator that holds its tokenizer (when not named).
TOKENIZER_DIR = 'tokenizer'
GENERATOR_KIND = 'generator'
TokenizerSpec = Union[None, str, 'Tokenizer', Sequence[str]]


def check_pair(model: torch.nn.Module, tokenizer: Tokenizer, source: str,
               tokenizer_source: str) -> None:
    """Raise ``ValueError`` unless ``tokenizer`` is the one ``model``'s latent statistics
    were made with (fingerprint) and makes latents of its shape (:func:`check_latent_shape`)."""
    own = model.data_preprocessor.fingerprint_hex
    if own is not None and tokenizer.fingerprint != own:
        raise ValueError(
            f'{tokenizer_source} belongs to tokenizer {tokenizer.fingerprint[:12]}..., but '
            f'the generator {source} was trained on the latents of tokenizer {own[:12]}...: '
            'a generator only works with the tokenizer it was trained for. Give that '
            'tokenizer, or none to use the one the generator records.')
    check_latent_shape(model, tokenizer.model, tokenizer.config, tokenizer_source,
                       f' {source}')


class Generator:
    """A ``LatentDiffusion`` model and the :class:`Tokenizer` that decodes its latents.

    Args:
        model: a trained ``LatentDiffusion`` (eval mode).
        tokenizer: its tokenizer (checked against it).
        device: where both run; on CUDA the generator runs under bf16 autocast.
        config: the generator's config (what :meth:`save_pretrained` writes).
        source: where its weights came from, for messages and the record.
        tokenizer_name: the tokenizer's index name when it was given by one.
        class_names: a name per class id, where known (the quick start's photos).
    """

    def __init__(self, model: torch.nn.Module, tokenizer: Tokenizer,
                 device: Union[str, torch.device] = 'cpu', config: Optional[Config] = None,
                 source: Optional[str] = None, tokenizer_name: Optional[str] = None,
                 class_names: Optional[Sequence[str]] = None):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.config, self.source, self.tokenizer_name = config, source, tokenizer_name
        self.class_names = list(class_names) if class_names else None
        check_pair(self.model, tokenizer, source or 'given', tokenizer.source or 'given')

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(cls, config: Union[str, Config], checkpoint: Optional[str] = None,
                        tokenizer: TokenizerSpec = None,
                        device: Union[str, torch.device] = 'cpu', weights: str = 'ema',
                        revision: Optional[str] = None, cache_dir: Optional[str] = None,
                        local_files_only: bool = False) -> 'Generator':
        """A trained generator with its tokenizer.

        Args:
            config: a name of the model index (``vitok-dit-tiny-64p``; see
                :func:`~vitok_mm.apis.list_models`), a generator config file (with
                ``checkpoint``), a folder written by :meth:`save_pretrained` or
                ``'hf://ORG/REPO[@REV]'``, such a folder on the Hub.
            checkpoint: the generator's weights (default: the index's for a name).
            tokenizer: default: the one the generator records (its config's
                ``tokenizer = dict(config=..., checkpoint=...)``, or the saved folder's);
                else a :class:`Tokenizer`, or what :meth:`Tokenizer.from_pretrained`
                takes (a name, a folder, ``hf://``), or ``(config, checkpoint)``.
            weights: ``'ema'`` (the checkpoint's ``state_dict``: the EMA weights where the
                run kept them) or ``'raw'``.
            revision, cache_dir, local_files_only: for Hub weights.

        Raises:
            ValueError: an unknown name, a config that is not a generator, a tokenizer
                whose fingerprint differs (naming both).
            FileNotFoundError: a missing checkpoint (naming the command that makes it).
        """
        from vitok_mm.utils import register_all_modules

        from .inference import load_inference_config
        from .model_index import is_model_name, resolve_model
        from .pretrained import saved_folder
        register_all_modules()
        if weights not in WEIGHTS:
            raise ValueError(f'weights={weights!r}: choose one of {WEIGHTS}.')
        hub = dict(revision=revision, cache_dir=cache_dir, local_files_only=local_files_only)
        folder = saved_folder(config, checkpoint, 'generator', **hub)
        if folder is not None:  # with its tokenizer/ when it keeps one
            return cls._from_folder(folder, tokenizer, device, hub)
        name = config if is_model_name(config) else None
        config, checkpoint = resolve_model(config, checkpoint, **hub)
        cfg = config if isinstance(config, Config) else load_inference_config(config)
        if not is_generator_config(cfg):
            raise ValueError(
                f'{name or cfg.filename} is a {cfg.get("model", {}).get("type")} config, not '
                'a generator (LatentDiffusion); load it with Tokenizer.from_pretrained.')
        if checkpoint is None:
            raise ValueError(f'give the generator checkpoint of {cfg.filename} (a config '
                             'alone has random weights).')
        model = load_generator(cfg, checkpoint, weights, 'cpu')  # the config read above
        tok, tok_name = cls._tokenizer(tokenizer, cfg.get('tokenizer'), device, hub,
                                       checkpoint)
        return cls(model, tok, device, cfg, checkpoint, tok_name,
                   cfg.get('class_names'))

    @classmethod
    def _from_folder(cls, folder: str, tokenizer: TokenizerSpec, device, hub) -> 'Generator':
        from vitok_mm.models.builder import load_model

        from .pretrained import read_folder
        cfg, weights_file, info = read_folder(folder, kind=GENERATOR_KIND)
        model = load_model(cfg, weights_file, torch.float32).eval()
        recorded = info.get('tokenizer') or {}
        if tokenizer is None:
            if recorded.get('name'):
                tokenizer = recorded['name']
            elif recorded.get('folder'):
                tokenizer = osp.join(folder, recorded['folder'])
            else:
                raise ValueError(f'{folder}/vitok.json names no tokenizer; give one '
                                 '(tokenizer=...).')
        tok, tok_name = cls._tokenizer(tokenizer, None, device, hub, folder)
        return cls(model, tok, device, cfg, folder, tok_name, info.get('class_names'))

    @staticmethod
    def _tokenizer(spec: TokenizerSpec, recorded: Optional[dict], device, hub,
                   source: str):
        """``(Tokenizer, its index name or None)`` from what the caller gave, else from
        the generator config's ``tokenizer = dict(config=, checkpoint=)``."""
        from .model_index import is_model_name
        if isinstance(spec, Tokenizer):
            return spec, None
        if spec is None:
            if not recorded or not (recorded.get('name') or recorded.get('config')):
                raise ValueError(
                    f'the generator {source} records no tokenizer (its config has no '
                    "tokenizer = dict(config=..., checkpoint=...)); give tokenizer=NAME, a "
                    'folder or (config, checkpoint).')
            spec = recorded.get('name') or (recorded['config'], recorded.get('checkpoint'))
        if isinstance(spec, (tuple, list)):
            config, checkpoint = spec
            if checkpoint and not osp.isabs(checkpoint) and not osp.exists(checkpoint):
                # A config records repository paths (work_dirs/...): from a clone's root.
                from .model_index import index_root
                rooted = osp.join(index_root(), checkpoint)
                checkpoint = rooted if osp.exists(rooted) else checkpoint
            return Tokenizer.from_pretrained(config, checkpoint, device, **hub), None
        name = spec if is_model_name(spec) else None
        return Tokenizer.from_pretrained(spec, None, device, **hub), name

    # ------------------------------------------------------------------ facts
    @property
    def num_classes(self) -> int:
        return int(self.model.num_classes)

    @property
    def latent_shape(self) -> tuple:
        return tuple(self.model.latent_shape)

    @property
    def is_video(self) -> bool:
        return len(self.latent_shape) == 4

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16,
                              enabled=self.device.type == 'cuda')

    # ------------------------------------------------------------------ sampling
    def labels(self, classes: Union[int, Sequence[int]], per_class: int = 1) -> List[int]:
        """The class of each sample: ``classes`` in turn, ``per_class`` rounds (sample
        ``i`` is of class ``classes[i % len(classes)]``)."""
        classes = [int(classes)] if isinstance(classes, (int, np.integer)) else \
            [int(c) for c in classes]
        if not classes:
            raise ValueError('give at least one class id.')
        if int(per_class) < 1:
            raise ValueError(f'per_class must be a positive integer, got {per_class}.')
        self.model.check_labels(classes)
        return [classes[i % len(classes)] for i in range(len(classes) * int(per_class))]

    def solver(self, solver: Union[None, str, dict] = None, steps: Optional[int] = None):
        """The solver a call samples with: ``solver`` (a name or config) with ``steps``,
        default the model's final solver (DDPM-250 for diffusion, Heun-50 for flow, or
        the config's)."""
        return self.model.choose_solver(solver, steps, final=True)

    @torch.no_grad()
    def sample_arrays(self, indices: Sequence[int], labels: Sequence[int], seed: int = 0,
                      solver=None, cfg_scale: float = 1.5,
                      guidance_interval: Optional[Sequence[float]] = None) -> np.ndarray:
        """Samples ``indices`` of a run seeded ``seed`` (of classes ``labels``, one per
        index) in one batch, decoded: uint8 ``(N, H, W, 3)`` (clips ``(N, T, H, W, 3)``).
        ``solver`` as :meth:`solver` returns it. Sample ``i`` depends only on
        ``(seed, i)`` and its class."""
        from vitok_mm.models.generators.latent_diffusion import sample_seed
        generators = [torch.Generator().manual_seed(sample_seed(seed, i)) for i in indices]
        with self._autocast():
            latents = self.model.sample(list(labels), generator=generators, solver=solver,
                                        cfg_scale=cfg_scale,
                                        guidance_interval=guidance_interval)
        pixels = self.tokenizer.decode(latents.to(self.tokenizer.device))
        return np.stack([to_uint8(x) for x in pixels])

    def sample(self, classes: Union[int, Sequence[int]], per_class: int = 1,
               cfg_scale: float = 1.5, guidance_interval: Optional[Sequence[float]] = None,
               solver: Union[None, str, dict] = None, steps: Optional[int] = None,
               seed: int = 0, batch_size: Optional[int] = None, progress: bool = True):
        """``per_class`` samples of each class id in ``classes``: PIL images (uint8 arrays
        ``(T, H, W, 3)`` for a video generator), in the order of :meth:`labels` (the
        classes in turn).

        Args:
            cfg_scale: classifier-free guidance scale (1: none; the paper's 1.5).
            guidance_interval: ``(lo, hi)`` noise levels in [0, 1] where guidance applies.
            solver, steps: e.g. ``'heun'`` and 50 (default: the model's).
            seed: sample ``i`` depends only on ``(seed, i)``.
            batch_size: samples per forward pass (default 32); the results do not
                depend on it.
            progress: a progress bar on stderr.

        Raises:
            ValueError: a class id out of range, a negative guidance scale, an unknown
                solver (one line each).
        """
        from vitok_mm.models.diffusion import check_guidance
        check_guidance(cfg_scale, guidance_interval)
        labels = self.labels(classes, per_class)
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(f'batch_size must be a positive integer, got {batch_size}.')
        chosen = self.solver(solver, steps)
        arrays = []
        bar = None
        if progress:
            from tqdm import tqdm
            bar = tqdm(total=len(labels), desc='sampling', unit='sample', leave=False)
        for start in range(0, len(labels), batch_size):
            indices = list(range(start, min(start + batch_size, len(labels))))
            arrays.extend(self.sample_arrays(indices, [labels[i] for i in indices], seed,
                                             chosen, cfg_scale, guidance_interval))
            if bar is not None:
                bar.update(len(indices))
        if bar is not None:
            bar.close()
        if self.is_video:
            return arrays
        from PIL import Image
        return [Image.fromarray(a) for a in arrays]

    # ------------------------------------------------------------------ saving
    def save_pretrained(self, folder: str, name: Optional[str] = None) -> dict:
        """Write this generator as a folder :meth:`from_pretrained` reads (see the module
        docstring); returns ``vitok.json``'s contents."""
        from vitok_mm.utils.safetensors_io import save_safetensors
        from vitok_mm.version import __version__

        from .model_index import find_model
        from .pretrained import (
            CARD_FILE,
            CONFIG_FILE,
            FORMAT_VERSION,
            INFO_FILE,
            WEIGHTS_FILE,
            write_text,
        )
        if self.config is None:
            raise ValueError("save_pretrained needs the generator's config: build it with "
                             'Generator.from_pretrained.')
        os.makedirs(folder, exist_ok=True)
        if self.tokenizer_name and '://' in (find_model(self.tokenizer_name).weights or ''):
            tokenizer = dict(name=self.tokenizer_name)
        else:
            self.tokenizer.save_pretrained(osp.join(folder, TOKENIZER_DIR))
            tokenizer = dict(folder=TOKENIZER_DIR)
        pre = self.model.data_preprocessor
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        solver = self.solver()
        info = dict(
            format_version=FORMAT_VERSION, library='vitok_mm', kind=GENERATOR_KIND,
            vitok_mm_version=__version__, saved=datetime.date.today().isoformat(),
            latent_shape=list(self.latent_shape), num_classes=self.num_classes,
            class_names=self.class_names, tokenizer=tokenizer,
            tokenizer_fingerprint=pre.fingerprint_hex,
            latent_mean=[round(float(v), 6) for v in pre.mean.flatten()],
            latent_std=[round(float(v), 6) for v in pre.std.flatten()],
            solver=solver.config(),
            parameters=sum(v.numel() for v in state.values() if v.is_floating_point()),
            source_checkpoint=self.source)
        model_cfg = Config(self.config['model']).to_dict()
        # The latents' statistics are in the weights; the cache that gave them is not
        # needed to load.
        model_cfg.get('data_preprocessor', {}).pop('cache', None)
        out_cfg = Config(dict(default_scope='vitok_mm', model=model_cfg))
        write_text(osp.join(folder, CONFIG_FILE),
                   f'# A latent generator saved by vitok_mm {__version__}.\n'
                   + out_cfg.pretty_text)
        save_safetensors(state, osp.join(folder, WEIGHTS_FILE),
                         dict(fingerprint=pre.fingerprint_hex or '', format='vitok_mm',
                              kind=GENERATOR_KIND))
        write_text(osp.join(folder, INFO_FILE), json.dumps(info, indent=2) + '\n')
        write_text(osp.join(folder, CARD_FILE), _card(info, name or osp.basename(
            osp.abspath(folder))))
        return info


def _solver_label(solver: dict) -> str:
    """``Heun-50``; options after it: ``EulerMaruyama-100 (diffusion_norm 8.0)``."""
    options = ', '.join(f'{k} {v}' for k, v in solver.items() if k not in ('type', 'num_steps'))
    return f'{solver["type"]}-{solver["num_steps"]}' + (f' ({options})' if options else '')


def _card(info: dict, name: str) -> str:
    tokenizer = info['tokenizer'].get('name') or f'`{info["tokenizer"]["folder"]}/` (beside ' \
        'this file)'
    rows = [('latent shape', ' x '.join(str(s) for s in info['latent_shape'])),
            ('classes', info['num_classes']), ('tokenizer', tokenizer),
            ('sampler', _solver_label(info['solver'])),
            ('parameters', f'{info["parameters"] / 1e6:.1f} M')]
    lines = [f'# {name}', '', 'A class-conditional latent generator saved by vitok_mm '
             f'{info["vitok_mm_version"]} on {info["saved"]}.', '', '| | |', '|---|---|']
    lines += [f'| {k} | {v} |' for k, v in rows]
    lines += ['', '## Use', '', '```python', 'from vitok_mm.apis import Generator',
              'gen = Generator.from_pretrained("path/to/this/folder")  # or "hf://ORG/REPO"',
              'images = gen.sample([0, 1], per_class=4, cfg_scale=1.5)', '```']
    return '\n'.join(lines) + '\n'


__all__ = ['GENERATOR_KIND', 'Generator', 'TOKENIZER_DIR', 'check_pair']
