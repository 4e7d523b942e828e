"""vitok_mm's folder format for a trained tokenizer, as ``Tokenizer.save_pretrained``
writes it and ``Tokenizer.from_pretrained(DIR)`` (or ``'hf://ORG/REPO'``, the folder
uploaded as it is) reads it:

- ``config.py``: the resolved model config (``model`` and the ``tokenizer`` defaults);
- ``model.safetensors``: the weights (the EMA weights where the run kept them), with the
  fingerprint in its metadata;
- ``vitok.json``: fingerprint, patch and tubelet size, latent channels, tokens and E of a
  reference input, dtype, source checkpoint, metrics where known;
- ``README.md``: a model card with those numbers and the command that trained the model.

Loading is strict (every key and shape) and reads tensors only (safetensors, no pickle).
"""
import datetime
import json
import os
import os.path as osp
from typing import Dict, Optional, Tuple

from mmengine.config import Config

CONFIG_FILE, WEIGHTS_FILE, INFO_FILE, CARD_FILE = (
    'config.py', 'model.safetensors', 'vitok.json', 'README.md')
#: The files a folder must have to load.
REQUIRED_FILES = (CONFIG_FILE, WEIGHTS_FILE, INFO_FILE)
FORMAT_VERSION = 1


def is_pretrained_folder(path) -> bool:
    """Whether ``path`` is a folder, to be read as a saved tokenizer."""
    return isinstance(path, (str, os.PathLike)) and osp.isdir(path)


def hub_folder(repo_id: str, revision: Optional[str] = None, what: Optional[str] = None,
               cache_dir: Optional[str] = None, local_files_only: bool = False) -> str:
    """The local copy (in the Hugging Face cache) of a saved tokenizer or generator
    uploaded to the Hub, with the subfolder its ``vitok.json`` names for its tokenizer
    (a saved generator's ``tokenizer/``) when there is one.

    Raises:
        FileNotFoundError, DownloadError: as :func:`vitok_mm.utils.hub.hub_files`.
    """
    from vitok_mm.utils.hub import hub_files
    hub = dict(cache_dir=cache_dir, local_files_only=local_files_only, what=what)
    folder = osp.dirname(hub_files(repo_id, REQUIRED_FILES, revision, **hub)[0])
    try:
        with open(osp.join(folder, INFO_FILE)) as f:
            sub = (json.load(f).get('tokenizer') or {}).get('folder')
    except (json.JSONDecodeError, AttributeError):
        sub = None  # read_folder names the broken vitok.json
    if sub:
        hub_files(repo_id, [f'{sub}/{name}' for name in REQUIRED_FILES], revision, **hub)
    return folder


def saved_folder(config, checkpoint: Optional[str], kind: str,
                 revision: Optional[str] = None, cache_dir: Optional[str] = None,
                 local_files_only: bool = False) -> Optional[str]:
    """The local folder of a saved ``kind`` (``'tokenizer'`` or ``'generator'``) that
    ``config`` names: the folder itself, or ``'hf://ORG/REPO[@REV]'`` downloaded with
    :func:`hub_folder`; None when ``config`` is neither (a name or a config file).

    Raises:
        ValueError: a checkpoint is given too (the folder holds its weights).
    """
    from vitok_mm.utils.hub import is_hf_uri, parse_hf_uri
    if not (is_hf_uri(config) or is_pretrained_folder(config)):
        return None
    if checkpoint is not None:
        raise ValueError(f'{config} is a saved {kind}: it holds its weights, give no '
                         f'checkpoint (got {checkpoint}).')
    if not is_hf_uri(config):
        return str(config)
    repo_id, pinned = parse_hf_uri(config)
    return hub_folder(repo_id, revision or pinned, cache_dir=cache_dir,
                      local_files_only=local_files_only)


def read_folder(folder: str, kind: str = 'tokenizer') -> Tuple[Config, str, dict]:
    """``(config, weights file, info)`` of a saved tokenizer (or, ``kind='generator'``, a
    saved generator: :meth:`vitok_mm.apis.Generator.save_pretrained`).

    Raises:
        FileNotFoundError: a file of the format is missing (naming it).
        ValueError: ``vitok.json`` is not readable JSON, or the folder holds the other
            kind of model (naming the class that loads it).
    """
    missing = [f for f in REQUIRED_FILES if not osp.isfile(osp.join(folder, f))]
    if missing:
        raise FileNotFoundError(
            f'{folder} has no {", ".join(missing)}: a saved {kind} folder holds '
            f'{", ".join(REQUIRED_FILES)} (written by {kind.capitalize()}.save_pretrained'
            f'{" or `vitok-mm save-pretrained`" if kind == "tokenizer" else ""}).')
    info_path = osp.join(folder, INFO_FILE)
    try:
        with open(info_path) as f:
            info = json.load(f)
    except json.JSONDecodeError as error:
        raise ValueError(f'{info_path} is not readable JSON ({error}).') from None
    saved = info.get('kind', 'tokenizer')
    if saved != kind:
        loader = 'Generator' if saved == 'generator' else 'Tokenizer'
        raise ValueError(f'{folder} holds a saved {saved}, not a {kind}: load it with '
                         f'vitok_mm.apis.{loader}.from_pretrained.')
    from .inference import load_inference_config
    return load_inference_config(osp.join(folder, CONFIG_FILE)), \
        osp.join(folder, WEIGHTS_FILE), info


def reference_input(model) -> Tuple[str, Tuple[int, ...]]:
    """The input the saved numbers describe: a 256x256 image, or a 16x128x128 clip for a
    video tokenizer (the paper's). ``(name, (T, H, W) or (H, W))``."""
    if getattr(model, 'tubelet_size', None):
        return '16x128x128 clip', (16, 128, 128)
    return '256x256 image', (256, 256)


def latent_size(model, size: Tuple[int, ...]) -> Tuple[int, int]:
    """``(tokens, E)`` of an input of ``size``: E = tokens x latent channels."""
    p, q = int(model.patch_size), getattr(model, 'tubelet_size', None)
    tokens = -(-size[-1] // p) * -(-size[-2] // p)
    if q:
        tokens *= -(-size[0] // q)
    return tokens, tokens * int(model.latent_channels)


def checkpoint_metrics(path: Optional[str]) -> Dict[str, float]:
    """The last validation/test metrics an MMEngine checkpoint's message hub kept
    (``val/psnr`` ...), if any."""
    if not path or not path.endswith(('.pth', '.pt', '.ckpt')) or not osp.isfile(path):
        return {}
    from vitok_mm.utils import load_checkpoint
    try:
        hub = load_checkpoint(path).get('message_hub') or {}
    except (ValueError, OSError):
        return {}
    metrics = {}
    for key, buffer in (hub.get('log_scalars') or {}).items():
        if key.startswith(('val/', 'test/')) and hasattr(buffer, 'current'):
            try:
                metrics[key] = float(buffer.current())
            except (TypeError, ValueError, IndexError):
                continue
    return metrics


def _card(info: dict, name: str) -> str:
    rows = [('patch size', info['patch_size']), ('tubelet size', info['tubelet_size'] or '-'),
            ('latent channels', info['latent_channels']),
            (f'tokens per {info["reference_input"]}', info['tokens']),
            (f'E (floats per {info["reference_input"]})', info['E']),
            ('parameters', f'{info["parameters"] / 1e6:.1f} M'), ('dtype', info['dtype']),
            ('fingerprint', f'`{info["fingerprint"][:16]}...`')]
    lines = [f'# {name}', '', 'A visual tokenizer saved by vitok_mm '
             f'{info["vitok_mm_version"]} on {info["saved"]}.', '',
             '| | |', '|---|---|'] + [f'| {k} | {v} |' for k, v in rows]
    if info.get('metrics'):
        lines += ['', '## Metrics', '', '| metric | value |', '|---|---|']
        lines += [f'| {k} | {v:.4g} |' for k, v in sorted(info['metrics'].items())]
        lines += ['', 'As recorded by the training run at its checkpoint '
                  f'(`{info.get("source_checkpoint")}`).']
    lines += ['', '## Use', '', '```python', 'from vitok_mm.apis import Tokenizer',
              'tok = Tokenizer.from_pretrained("path/to/this/folder")  # or "hf://ORG/REPO"',
              'z = tok.encode("photo.jpg")', 'pixels = tok.decode(z)', '```', '',
              '## Training', '']
    lines += ([f'Trained with `{info["training_command"]}`.'] if info.get('training_command')
              else ['The training command is not known; `config.py` holds the model config.'])
    return '\n'.join(lines) + '\n'


def save_pretrained(tokenizer, folder: str, metrics: Optional[Dict[str, float]] = None,
                    name: Optional[str] = None) -> dict:
    """Write ``tokenizer`` (a :class:`~vitok_mm.apis.Tokenizer` built from a config) into
    ``folder`` in the format above; returns the ``vitok.json`` contents.

    Args:
        metrics: the numbers to record (default: the validation metrics its source
            checkpoint kept, if any).
        name: the model card's title (default: the folder's name).

    Raises:
        ValueError: the tokenizer has no config (it was not built by ``from_pretrained``).
    """
    from vitok_mm.utils.safetensors_io import save_safetensors
    from vitok_mm.version import __version__
    if tokenizer.config is None:
        raise ValueError('save_pretrained needs the tokenizer\'s config: build it with '
                         'Tokenizer.from_pretrained(config, checkpoint), or give '
                         'Tokenizer(model, config=cfg).')
    model, cfg = tokenizer.model, tokenizer.config
    os.makedirs(folder, exist_ok=True)
    source = tokenizer.source
    kind, size = reference_input(model)
    tokens, floats = latent_size(model, size)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    dtypes = {str(v.dtype).replace('torch.', '') for v in state.values()
              if v.is_floating_point()}
    config_name = cfg.filename if isinstance(cfg, Config) else None
    repo_config = None
    if config_name:
        from .model_index import index_root
        relative = osp.relpath(osp.abspath(config_name), index_root())
        if relative.startswith('configs' + os.sep):
            repo_config = relative
    info = dict(
        format_version=FORMAT_VERSION, library='vitok_mm', vitok_mm_version=__version__,
        saved=datetime.date.today().isoformat(), fingerprint=tokenizer.fingerprint,
        patch_size=int(model.patch_size), tubelet_size=getattr(model, 'tubelet_size', None),
        latent_channels=int(model.latent_channels), reference_input=kind, tokens=tokens,
        E=floats, parameters=sum(v.numel() for v in state.values() if v.is_floating_point()),
        dtype=', '.join(sorted(dtypes)), source_checkpoint=source,
        config=repo_config or config_name,
        training_command=f'python tools/train.py {repo_config}' if repo_config else None,
        metrics=metrics if metrics is not None else checkpoint_metrics(source))
    model_cfg = cfg['model'] if 'model' in cfg else cfg
    out_cfg = Config(dict(default_scope='vitok_mm', model=Config(model_cfg).to_dict(),
                          tokenizer=dict(cfg.get('tokenizer', {}))))
    write_text(osp.join(folder, CONFIG_FILE),
                f'# The model of {info["config"] or "a vitok_mm tokenizer"}, saved by '
                f'vitok_mm {__version__}.\n' + out_cfg.pretty_text)
    save_safetensors(state, osp.join(folder, WEIGHTS_FILE),
                     dict(fingerprint=tokenizer.fingerprint, format='vitok_mm'))
    write_text(osp.join(folder, INFO_FILE), json.dumps(info, indent=2) + '\n')
    write_text(osp.join(folder, CARD_FILE), _card(info, name or osp.basename(
        osp.abspath(folder))))
    return info


def write_text(path: str, text: str) -> None:
    """Write a file atomically (a staged file renamed into place; a failed write is a
    one-line :class:`~vitok_mm.utils.storage.StorageError`)."""
    from vitok_mm.utils.storage import staged_file
    with staged_file(path, needed=len(text.encode())) as partial:
        with open(partial, 'w') as f:
            f.write(text)


__all__ = ['CARD_FILE', 'CONFIG_FILE', 'INFO_FILE', 'REQUIRED_FILES', 'WEIGHTS_FILE',
           'checkpoint_metrics', 'hub_folder', 'is_pretrained_folder', 'latent_size',
           'read_folder', 'reference_input', 'save_pretrained', 'saved_folder', 'write_text']
