"""What a user imports: trained models and the names that find them.

- :class:`Tokenizer`: a trained tokenizer for use (encode, decode, reconstruct, any size,
  tiles), ``from_pretrained`` / ``save_pretrained``.
- :class:`Generator`: a trained latent generator with the tokenizer that decodes it
  (``sample`` returns pictures), ``from_pretrained`` / ``save_pretrained``.
- :func:`list_models` / :func:`find_model`: the model index (``configs/*/metafile.yml``),
  with weights on the Hugging Face Hub, at a URL or where a training run writes them.
- :func:`load_inference_config` / :func:`build_inference_model`: a model from a config,
  without a runner.

Runs (training, quick starts, sweeps, latent caches, sampling to folders, scoring,
export) are :mod:`vitok_mm.workflows`; the command line is :mod:`vitok_mm.cli`.
"""
from .generator import Generator
from .inference import build_inference_model, load_inference_config, load_view, reconstruct_images
from .model_index import find_model, list_models
from .tokenizer import Tokenizer

__all__ = ['Generator', 'Tokenizer', 'build_inference_model', 'find_model', 'list_models',
           'load_inference_config', 'load_view', 'reconstruct_images']
