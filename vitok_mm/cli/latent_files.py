"""One input's latent in a ``.safetensors`` file: what ``vitok-mm encode`` writes and
``vitok-mm decode`` reads.

The file holds one tensor, ``latent`` ``(c, [t,] h, w)`` (float32), and string metadata:
``source_size`` (the ``[T,] H, W`` of the pixels that were encoded, before padding, as
JSON), ``tokenizer_fingerprint`` (the SHA-256 of the tokenizer's checkpoint file, as the
latent caches record it), ``tokenizer`` (its config or model name), ``source_file``,
``fps`` (videos) and ``format`` (:data:`LATENT_FORMAT`). safetensors files hold no code,
so reading one cannot run anything, unlike a pickle.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Sequence, Tuple

import torch

LATENT_EXTENSION = '.safetensors'
#: The metadata layout's version, written into each file.
LATENT_FORMAT = 'vitok_mm.latent.v1'


@dataclass
class LatentRecord:
    """What :func:`load_latent` read."""
    path: str
    latent: torch.Tensor
    source_size: Tuple[int, ...]
    fingerprint: str
    tokenizer: str = ''
    source_file: str = ''
    fps: float = 0.0

    def check_tokenizer(self, tokenizer) -> None:
        """Refuse to decode with a tokenizer other than the one that encoded.

        Raises:
            ValueError: the fingerprints differ; names both tokenizers.
        """
        if tokenizer.fingerprint != self.fingerprint:
            made_by = f' ({self.tokenizer})' if self.tokenizer else ''
            raise ValueError(
                f'{self.path} was encoded by tokenizer {self.fingerprint[:12]}{made_by}, '
                f'not by this one ({tokenizer.fingerprint[:12]}); its latents mean nothing to '
                'another tokenizer: decode it with the config and checkpoint that encoded it.')


def save_latent(path: str, latent: torch.Tensor, source_size: Sequence[int], fingerprint: str,
                tokenizer_name: str = '', source_file: str = '', fps: float = 0.0) -> None:
    """Write one latent ``(c, [t,] h, w)`` and its metadata to ``path`` atomically."""
    from safetensors.torch import save_file
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    metadata = dict(format=LATENT_FORMAT, source_size=json.dumps([int(s) for s in source_size]),
                    tokenizer_fingerprint=fingerprint, tokenizer=str(tokenizer_name),
                    source_file=str(source_file), fps=repr(float(fps)))
    partial = path + '.part'
    save_file({'latent': latent.detach().float().cpu().contiguous()}, partial, metadata)
    os.replace(partial, path)


def load_latent(path: str) -> LatentRecord:
    """Read a file :func:`save_latent` wrote.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is no safetensors file, or not one of these latents.
    """
    from safetensors import SafetensorError, safe_open
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist.')
    try:
        with safe_open(path, framework='pt') as f:
            metadata = f.metadata() or {}
            if metadata.get('format') != LATENT_FORMAT or 'latent' not in f.keys():
                raise ValueError(f'{path} is a safetensors file but not a latent written by '
                                 '`vitok-mm encode` (no latent tensor or metadata); encode the '
                                 'image or video again.')
            latent = f.get_tensor('latent')
    except (SafetensorError, OSError) as error:
        raise ValueError(f'{path} is not a readable safetensors file ({error}); it may be '
                         'truncated: encode the input again.') from error
    return LatentRecord(path=path, latent=latent,
                        source_size=tuple(json.loads(metadata['source_size'])),
                        fingerprint=metadata['tokenizer_fingerprint'],
                        tokenizer=metadata.get('tokenizer', ''),
                        source_file=metadata.get('source_file', ''),
                        fps=float(metadata.get('fps', 0.0)))


__all__ = ['LATENT_EXTENSION', 'LATENT_FORMAT', 'LatentRecord', 'load_latent', 'save_latent']
