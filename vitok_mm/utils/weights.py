"""Finding pretrained weight files, downloading them on first use, and verifying them."""
import os.path as osp
import re
from typing import Callable, Optional

import torch

from .download import download, file_sha256, offline_variable, url_filename

# torchvision / torch hub names files `<name>-<first hex digits of sha256>.<ext>`.
HASH_IN_NAME = re.compile(r'-([a-f0-9]{8,64})\.[A-Za-z0-9]+$')


def hub_checkpoint_dir() -> str:
    """Where torch hub keeps downloaded weights (``$TORCH_HOME/hub/checkpoints``)."""
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def hash_in_name(path: str) -> Optional[str]:
    """The SHA-256 prefix a file name carries (``vgg16-397923af.pth`` -> ``397923af``)."""
    match = HASH_IN_NAME.search(osp.basename(path))
    return match.group(1) if match else None


def check_hash(path: str, expected_prefix: Optional[str] = None) -> None:
    """Check a file against the SHA-256 prefix in its name (or ``expected_prefix``).

    Raises:
        ValueError: the digest does not start with the expected prefix.
    """
    expected_prefix = expected_prefix or hash_in_name(path)
    if expected_prefix is None:
        return
    digest = file_sha256(path)
    if not digest.startswith(expected_prefix):
        raise ValueError(
            f'{path} has SHA-256 {digest[:len(expected_prefix)]}..., but '
            f'{expected_prefix} was expected: the file is corrupt, truncated or not the '
            'expected weights. Replace it with the original file.')


def find_weights(filename: str, path: Optional[str] = None, what: str = 'weights',
                 config_key: str = 'weights', expected_hash: Optional[str] = None,
                 url: Optional[str] = None, check: Optional[Callable[[str], None]] = None,
                 progress: bool = True, alternative: Optional[str] = None) -> str:
    """Locate a weights file, downloading it on first use, and verify it.

    Args:
        filename: the file's name in the torch hub cache.
        path: a file, or a folder holding ``filename`` (taken as it is, never
            downloaded); or a URL: the file itself, or a base URL ending with ``/``
            under which ``filename`` is fetched (a mirror). Default: the torch hub cache,
            filled from ``url``.
        expected_hash: the SHA-256 (or its first hex digits) to check against; default
            the prefix in the file's name, if any.
        url: where the file is downloaded from when it is not in the cache.
        check: a content check for a download with no published digest.
        alternative: how else to give the file, for messages (default: set
            ``config_key`` in the config).

    Raises:
        FileNotFoundError: naming the file, where it was looked for and how to fix it
            (also when downloads are off).
        ValueError: the file's digest is wrong.
        vitok_mm.utils.download.DownloadError: the download failed or was refused.
    """
    expected_hash = expected_hash or hash_in_name(filename)
    alternative = alternative or f'set {config_key}=/path/to/{filename} in the config'
    if path and '://' in path:
        url = path + filename if path.endswith('/') else path
        name = filename if path.endswith('/') else url_filename(path)
        candidate = osp.join(hub_checkpoint_dir(), name)
    elif path:
        candidate = osp.join(path, filename) if osp.isdir(path) else path
        if not osp.isfile(candidate):
            raise FileNotFoundError(
                f'{what}: {candidate} does not exist ({config_key}={path!r}). Point '
                f'{config_key} at the file, or leave it unset to use (and download into) '
                f'the torch hub cache {hub_checkpoint_dir()}.')
        url = None
    else:
        candidate = osp.join(hub_checkpoint_dir(), filename)
    # The canonical file is checked against its digest; a file of another name given
    # explicitly (one's own trunk, a test's random weights) against the digest its own
    # name carries, if any.
    digest = expected_hash if osp.basename(candidate) == filename else hash_in_name(candidate)
    if not osp.isfile(candidate):
        if url is None:
            raise FileNotFoundError(
                f'{what}: {filename} not found (looked for {candidate}). Copy {filename} '
                f'into {hub_checkpoint_dir()} (the torch hub cache) or {alternative}.')
        switch = offline_variable()
        if switch:
            raise FileNotFoundError(
                f'{what}: {filename} not found (looked for {candidate}) and downloads are '
                f'off ({switch}). Unset {switch.split("=")[0]} to download it from {url}, '
                f'copy it into {hub_checkpoint_dir()}, or {alternative}.')
        download(url, candidate, sha256=digest, check=check, progress=progress, what=what)
    check_hash(candidate, digest)
    return candidate


def weights_fingerprint(path: str) -> str:
    """What identifies a weights file, as latents and latent caches record their tokenizer:
    the ``fingerprint`` a safetensors file keeps in its metadata (a converted release's,
    a saved tokenizer's: the same whatever its dtype or copy), else the file's SHA-256."""
    if path.endswith('.safetensors'):
        from .safetensors_io import safetensors_metadata
        fingerprint = safetensors_metadata(path).get('fingerprint')
        if fingerprint:
            return fingerprint
    return file_sha256(path)


__all__ = ['HASH_IN_NAME', 'check_hash', 'file_sha256', 'find_weights', 'hash_in_name',
           'hub_checkpoint_dir', 'weights_fingerprint']
