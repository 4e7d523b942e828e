"""Names for configs: the model index (``configs/*/metafile.yml``, mmpretrain's pattern).

Each entry names a config and the checkpoint of its training run (``Weights``): a path
relative to the repository (where ``tools/train.py`` writes it) or a URL. Nothing is
downloaded at run time: a URL's file is looked up in torch hub's checkpoint folder
(``$TORCH_HOME/hub/checkpoints``), and a missing file is an error that names it and
says how to get it.
"""
import difflib
import glob
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional

import yaml

#: The repository root: configs/ and work_dirs/ of the index are relative to it.
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@dataclass(frozen=True)
class ModelEntry:
    """One model of the index."""
    name: str
    config: str  # absolute path
    weights: Optional[str]  # absolute path, or a URL
    metafile: str
    #: For weights converted from another release (the metafile's ``Converted From``:
    #: ``Weights``, the original's location, and ``Command``, how to convert them).
    converted_from: Optional[dict] = None

    def checkpoint(self) -> str:
        """The local checkpoint file of this model.

        Raises:
            FileNotFoundError: it is not there; the message names the file and the way
                to make (train) or place (download) it.
        """
        if not self.weights:
            raise FileNotFoundError(f'{self.name} has no Weights in {self.metafile}; give '
                                    'a checkpoint path.')
        if '://' not in self.weights:
            if not osp.isfile(self.weights) and self.converted_from:
                raise FileNotFoundError(
                    f'{self.name}: checkpoint {self.weights} does not exist. It is converted '
                    f'from {self.converted_from.get("Weights")}: download that on a networked '
                    f'machine, copy it here and run `{self.converted_from.get("Command")}` '
                    '(or give another checkpoint path).')
            if not osp.isfile(self.weights):
                raise FileNotFoundError(
                    f'{self.name}: checkpoint {self.weights} does not exist. Train it with '
                    f'`python tools/train.py {osp.relpath(self.config, REPO_ROOT)}` (or '
                    'give another checkpoint path).')
            return self.weights
        import torch.hub
        path = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(self.weights))
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{self.name}: checkpoint {path} does not exist. Nothing is downloaded at '
                f'run time: download {self.weights} to that path (or give a checkpoint '
                'path).')
        return path


def _read(metafile: str, root: str) -> List[ModelEntry]:
    with open(metafile) as f:
        index = yaml.safe_load(f) or {}
    entries = []
    for model in index.get('Models', []):
        if 'Name' not in model or 'Config' not in model:
            raise ValueError(f'{metafile}: every model needs a Name and a Config, got {model}.')
        weights = model.get('Weights')
        if weights and '://' not in weights:
            weights = osp.join(root, weights)
        entries.append(ModelEntry(model['Name'], osp.join(root, model['Config']),
                                  weights, metafile, model.get('Converted From')))
    return entries


def model_index(root: str = REPO_ROOT) -> Dict[str, ModelEntry]:
    """Every model of ``<root>/configs/*/metafile.yml``, by name.

    Raises:
        ValueError: a name is used twice (naming both metafiles).
    """
    models: Dict[str, ModelEntry] = {}
    for metafile in sorted(glob.glob(osp.join(root, 'configs', '*', 'metafile.yml'))):
        for entry in _read(metafile, root):
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


def resolve_model(config, checkpoint: Optional[str] = None):
    """``(config, checkpoint)`` for a config file, a ``Config``, or an index name (whose
    checkpoint is the default; the local file or torch hub's copy, never downloaded)."""
    if isinstance(config, str) and not config.endswith('.py') and not osp.isfile(config):
        entry = find_model(config)
        return entry.config, checkpoint or entry.checkpoint()
    return config, checkpoint


def list_models(pattern: Optional[str] = None) -> List[str]:
    """Names of the index, those containing ``pattern`` when given, sorted."""
    return sorted(n for n in model_index() if pattern is None or pattern in n)


__all__ = ['ModelEntry', 'REPO_ROOT', 'find_model', 'list_models', 'model_index',
           'resolve_model']
