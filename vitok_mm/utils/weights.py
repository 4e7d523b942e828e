"""Finding and verifying pretrained weight files on a machine that cannot download them."""
import hashlib
import os
import os.path as osp
import re
from functools import lru_cache
from typing import List, Optional

import torch

# torchvision / torch hub names files `<name>-<first hex digits of sha256>.<ext>`.
HASH_IN_NAME = re.compile(r'-([a-f0-9]{8,64})\.[A-Za-z0-9]+$')


def hub_checkpoint_dir() -> str:
    """Where torch hub keeps downloaded weights (``$TORCH_HOME/hub/checkpoints``)."""
    return osp.join(torch.hub.get_dir(), 'checkpoints')


@lru_cache(maxsize=32)
def _sha256(path: str, size: int, mtime: float) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 22), b''):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: str) -> str:
    """The SHA-256 hex digest of a file (remembered while its size and mtime stay)."""
    stat = os.stat(path)
    return _sha256(osp.abspath(path), stat.st_size, stat.st_mtime)


def check_hash(path: str, expected_prefix: Optional[str] = None) -> None:
    """Check a file against the SHA-256 prefix in its name (or ``expected_prefix``).

    Raises:
        ValueError: the digest does not start with the expected prefix.
    """
    if expected_prefix is None:
        match = HASH_IN_NAME.search(osp.basename(path))
        if match is None:
            return
        expected_prefix = match.group(1)
    digest = file_sha256(path)
    if not digest.startswith(expected_prefix):
        raise ValueError(
            f'{path} has SHA-256 {digest[:len(expected_prefix)]}..., but '
            f'{expected_prefix} was expected: the file is corrupt, truncated or not the '
            'expected weights. Replace it with the original file.')


def find_weights(filename: str, path: Optional[str] = None, what: str = 'weights',
                 config_key: str = 'weights', expected_hash: Optional[str] = None) -> str:
    """Locate a weights file and verify it; never downloads.

    Looks at ``path`` (a file, or a folder holding ``filename``) when given, else in
    the torch hub cache. A hash in the file's name (or ``expected_hash``) is checked.

    Raises:
        FileNotFoundError: naming the file, where it was looked for and how to fix it.
    """
    looked: List[str] = []
    if path:
        candidate = osp.join(path, filename) if osp.isdir(path) else path
        looked.append(candidate)
    else:
        looked.append(osp.join(hub_checkpoint_dir(), filename))
    for candidate in looked:
        if osp.isfile(candidate):
            check_hash(candidate, expected_hash)
            return candidate
    raise FileNotFoundError(
        f'{what}: {filename} not found (looked for {", ".join(looked)}). This machine cannot '
        f'download it: copy {filename} into {hub_checkpoint_dir()} (the torch hub cache) or '
        f'set {config_key}=/path/to/{filename} in the config.')
