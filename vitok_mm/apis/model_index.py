"""Names for configs: the model index (``configs/*/metafile.yml``, mmpretrain's pattern).

Each entry names a config and its weights (``Weights``), in one of three forms:

- ``hf://ORG/REPO[@REVISION]``: a Hugging Face Hub repository, downloaded into the
  Hugging Face cache. ``Weights Format: vitok-v2`` marks a ViTok-v2 release (its
  ``encoder.safetensors`` and ``decoder.safetensors``, converted once and cached);
  ``Weights Format: diffusers`` a diffusers model folder (``config.json`` and
  ``diffusion_pytorch_model.safetensors``, in ``Subfolder`` when given: another
  library's VAE, a baseline); without either the repository is a folder written by
  ``Tokenizer.save_pretrained``.
- ``https://...``: a file downloaded into the torch hub cache, checked against the
  SHA-256 prefix its name carries (``name-<hex>.pth``).
- a path relative to the repository (where ``tools/train.py`` writes the checkpoint;
  relative to the working directory when vitok_mm is installed from a wheel): never
  downloaded; a missing file is an error naming the training command.

The configs and metafiles are those of the clone vitok_mm runs from, else the copy
installed with the package (``vitok_mm/.mim/configs``, as OpenMMLab's packages do).
"""
import difflib
import glob
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional

import yaml

#: The package folder, and the repository root of a clone (configs/ beside vitok_mm/).
PACKAGE_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPO_ROOT = osp.dirname(PACKAGE_ROOT)
#: Where a wheel carries configs/ (see setup.py).
INSTALLED_ROOT = osp.join(PACKAGE_ROOT, '.mim')
#: ``Weights Format`` values and what they mean.
WEIGHT_FORMATS = ('vitok_mm', 'vitok-v2', 'diffusers')


def in_clone() -> bool:
    """Whether vitok_mm runs from a clone (editable install or ``PYTHONPATH``)."""
    return (osp.isdir(osp.join(REPO_ROOT, 'configs'))
            and osp.isfile(osp.join(REPO_ROOT, 'setup.cfg')))


def index_root() -> str:
    """The folder whose ``configs/`` holds the index: the clone's root, else the
    installed copy."""
    return REPO_ROOT if in_clone() else INSTALLED_ROOT


def installed_config(path: str) -> Optional[str]:
    """The installed (or clone's) copy of a config named as in the repository
    (``configs/vitok/s-b_16_256p.py``), when there is one."""
    if not path.startswith('configs' + os.sep) and not path.startswith('configs/'):
        return None
    candidate = osp.join(index_root(), path)
    return candidate if osp.isfile(candidate) else None


@dataclass(frozen=True)
class ModelEntry:
    """One model of the index."""
    name: str
    config: str  # absolute path
    weights: Optional[str]  # a path (absolute, or relative to the working directory), a URL
    metafile: str
    #: For weights converted from another release (the metafile's ``Converted From``:
    #: ``Weights``, the original's location, ``Code`` and ``Command``, how to convert
    #: them by hand on an air-gapped machine).
    converted_from: Optional[dict] = None
    #: How the weights are stored: ``'vitok_mm'`` (a checkpoint, or a save_pretrained
    #: folder on the Hub) or ``'vitok-v2'`` (a ViTok-v2 release, converted on download).
    weights_format: str = 'vitok_mm'
    #: The v2 variant of a ``vitok-v2`` release (``350M-f16x16``).
    variant: Optional[str] = None
    #: The folder of a ``diffusers`` model inside its Hub repository (``vae``).
    subfolder: Optional[str] = None

    def checkpoint(self, dtype=None, progress: bool = True, **hub) -> str:
        """The local weights file of this model, downloaded (and converted) when needed
        (for ``diffusers`` weights, the local diffusers folder).

        Args:
            dtype: the dtype a converted release is cached in (default float32).
            **hub: for Hub weights, ``revision`` (instead of the index's),
                ``cache_dir`` and ``local_files_only``, as ``hf_hub_download`` takes them.

        Raises:
            FileNotFoundError: a repository file is missing (naming the training
                command), or a download is needed and downloads are off.
            vitok_mm.utils.download.DownloadError: a download failed or was refused.
        """
        if not self.weights:
            raise FileNotFoundError(f'{self.name} has no Weights in {self.metafile}; give '
                                    'a checkpoint path.')
        from vitok_mm.utils.hub import is_hf_uri, parse_hf_uri
        if is_hf_uri(self.weights):
            repo_id, revision = parse_hf_uri(self.weights)
            hub = dict(hub, revision=hub.get('revision') or revision, what=self.name)
            if self.weights_format == 'vitok-v2':
                import torch

                from .convert_vitok_v2 import fetch_v2_release
                return fetch_v2_release(repo_id, self.variant, dtype=dtype or torch.float32,
                                        **hub)
            if self.weights_format == 'diffusers':
                from vitok_mm.models.tokenizers.diffusers_vae import (
                    DIFFUSERS_CONFIG,
                    DIFFUSERS_WEIGHTS,
                )
                from vitok_mm.utils.hub import hub_files
                prefix = f'{self.subfolder}/' if self.subfolder else ''
                paths = hub_files(repo_id, [prefix + DIFFUSERS_CONFIG,
                                            prefix + DIFFUSERS_WEIGHTS], **hub)
                return osp.dirname(paths[0])  # the folder: diffusers reads it
            from .pretrained import hub_folder
            return osp.join(hub_folder(repo_id, **hub), 'model.safetensors')
        if '://' in self.weights:
            from vitok_mm.utils.download import url_filename
            from vitok_mm.utils.weights import find_weights
            return find_weights(url_filename(self.weights), url=self.weights,
                                what=f'{self.name} weights', progress=progress,
                                alternative='give a checkpoint path')
        path = self.weights if osp.isabs(self.weights) else osp.abspath(self.weights)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{self.name}: checkpoint {path} does not exist. Train it with '
                f'`python tools/train.py {self.config_name}` (or give another checkpoint '
                'path).')
        return path

    @property
    def config_name(self) -> str:
        """The config as named in the repository (``configs/vitok/s-b_16_256p.py``)."""
        root = osp.dirname(osp.dirname(osp.dirname(self.metafile)))
        return osp.relpath(self.config, root)


def _read(metafile: str, root: str, weights_root: str) -> List[ModelEntry]:
    with open(metafile) as f:
        index = yaml.safe_load(f) or {}
    entries = []
    for model in index.get('Models', []):
        if 'Name' not in model or 'Config' not in model:
            raise ValueError(f'{metafile}: every model needs a Name and a Config, got {model}.')
        weights = model.get('Weights')
        if weights and '://' not in weights:
            weights = osp.join(weights_root, weights) if weights_root else weights
        weights_format = model.get('Weights Format', 'vitok_mm')
        if weights_format not in WEIGHT_FORMATS:
            raise ValueError(f'{metafile}: {model["Name"]} has Weights Format '
                             f'{weights_format!r}; known: {", ".join(WEIGHT_FORMATS)}.')
        if weights_format == 'vitok-v2' and not model.get('Variant'):
            raise ValueError(f'{metafile}: {model["Name"]} is a vitok-v2 release and needs '
                             'its Variant (e.g. 350M-f16x16).')
        entries.append(ModelEntry(model['Name'], osp.join(root, model['Config']),
                                  weights, metafile, model.get('Converted From'),
                                  weights_format, model.get('Variant'),
                                  model.get('Subfolder')))
    return entries


def model_index(root: Optional[str] = None) -> Dict[str, ModelEntry]:
    """Every model of ``<root>/configs/*/metafile.yml`` (default :func:`index_root`), by
    name. Repository-relative weights are made absolute against ``root`` in a clone and
    left relative to the working directory in an installed package.

    Raises:
        ValueError: a name is used twice (naming both metafiles).
    """
    if root is None:
        root = index_root()
    weights_root = '' if root == INSTALLED_ROOT else root
    models: Dict[str, ModelEntry] = {}
    for metafile in sorted(glob.glob(osp.join(root, 'configs', '*', 'metafile.yml'))):
        for entry in _read(metafile, root, weights_root):
            if entry.name in models:
                raise ValueError(f'model name {entry.name} is in both '
                                 f'{models[entry.name].metafile} and {metafile}.')
            models[entry.name] = entry
    return models


def find_model(name: str) -> ModelEntry:
    """The index entry called ``name``.

    Raises:
        ValueError: no such name; the message lists the closest names.
    """
    models = model_index()
    if name not in models:
        close = difflib.get_close_matches(name, list(models), n=5, cutoff=0.4)
        hint = f' Did you mean {", ".join(close)}?' if close else ''
        raise ValueError(f'unknown model name {name!r}: neither a config file nor a name in '
                         f'configs/*/metafile.yml.{hint} vitok_mm.apis.list_models() lists '
                         'them all.')
    return models[name]


def is_model_name(config) -> bool:
    """Whether ``config`` names a model of the index rather than a file or folder."""
    return (isinstance(config, str) and not config.endswith('.py') and '://' not in config
            and not osp.exists(config))


def resolve_model(config, checkpoint: Optional[str] = None, dtype=None, **hub):
    """``(config, checkpoint)`` for a config file, a ``Config``, or an index name (whose
    weights are the default: the local file, or downloaded from the Hub or a URL; ``hub``
    as :meth:`ModelEntry.checkpoint` takes it)."""
    if is_model_name(config):
        entry = find_model(config)
        return entry.config, checkpoint or entry.checkpoint(dtype, **hub)
    if isinstance(config, str) and not osp.isfile(config):
        config = installed_config(config) or config
    return config, checkpoint


def list_models(pattern: Optional[str] = None) -> List[str]:
    """Names of the index, those containing ``pattern`` when given, sorted."""
    return sorted(n for n in model_index() if pattern is None or pattern in n)


__all__ = ['INSTALLED_ROOT', 'ModelEntry', 'REPO_ROOT', 'WEIGHT_FORMATS', 'find_model',
           'in_clone', 'index_root', 'installed_config', 'is_model_name', 'list_models',
           'model_index', 'resolve_model']
