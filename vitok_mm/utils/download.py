"""Downloading files as users expect: verified before use, cached, resumable, mirrorable,
with an offline switch.

A download goes to ``<file>.partial`` beside its destination while a lock
(``.locks/<file>.lock`` in the same folder) keeps a second process (another rank,
another job) from writing the same file; it is checked against its digest (and a
content check where no digest is published) and only then renamed into place, so a
wrong, truncated or interrupted download never lands in the cache. An interrupted
download is resumed from its ``.partial`` file when the server takes ranges.

Switches (environment variables, read at each call):

- ``VITOK_MM_OFFLINE=1`` (or ``HF_HUB_OFFLINE=1``): nothing is downloaded; a missing
  file is the caller's clear missing-file error.
- ``VITOK_MM_MIRROR=BASE_URL``: every file is fetched from ``BASE_URL/<file name>``
  instead of its canonical URL (a mirror, an internal cache, the tests' loopback server).
"""
import hashlib
import os
import os.path as osp
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable, Dict, Optional, Tuple

OFFLINE_VARIABLES = ('VITOK_MM_OFFLINE', 'HF_HUB_OFFLINE')
MIRROR_VARIABLE = 'VITOK_MM_MIRROR'
CHUNK_BYTES = 1 << 20
TIMEOUT_SECONDS = 60

#: SHA-256 of files this process hashed or downloaded, by (path, size, mtime).
_DIGESTS: Dict[Tuple[str, int, float], str] = {}


class DownloadError(OSError):
    """A download that failed or was refused; the message names the URL and the fix."""


def _truthy(value: Optional[str]) -> bool:
    return (value or '').strip().lower() in ('1', 'true', 'yes', 'on')


def cache_home() -> str:
    """vitok_mm's own cache (converted weights, verification marks): ``$VITOK_MM_HOME``,
    else ``$XDG_CACHE_HOME/vitok_mm``, else ``~/.cache/vitok_mm``."""
    if os.environ.get('VITOK_MM_HOME'):
        return os.environ['VITOK_MM_HOME']
    base = os.environ.get('XDG_CACHE_HOME') or osp.join(osp.expanduser('~'), '.cache')
    return osp.join(base, 'vitok_mm')


def offline_variable() -> Optional[str]:
    """The variable that switched downloads off (``'VITOK_MM_OFFLINE=1'``), or None."""
    for name in OFFLINE_VARIABLES:
        if _truthy(os.environ.get(name)):
            return f'{name}={os.environ[name]}'
    return None


def is_offline() -> bool:
    """Whether downloads are switched off (:data:`OFFLINE_VARIABLES`)."""
    return offline_variable() is not None


def url_filename(url: str) -> str:
    """The file name a URL ends with, without its query (``...pt?dl=1`` -> ``...pt``)."""
    return osp.basename(urllib.parse.urlsplit(url).path)


def mirrored(url: str) -> str:
    """``url``, or the same file under ``$VITOK_MM_MIRROR`` when that is set."""
    base = os.environ.get(MIRROR_VARIABLE)
    if not base:
        return url
    return base.rstrip('/') + '/' + url_filename(url)


def file_sha256(path: str, progress: bool = True) -> str:
    """The SHA-256 hex digest of a file (remembered while its size and mtime stay); a
    progress bar on stderr for a file of a GiB or more."""
    path = osp.abspath(path)
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime)
    if key not in _DIGESTS:
        from tqdm import tqdm
        digest = hashlib.sha256()
        with open(path, 'rb') as f, tqdm(
                total=stat.st_size, unit='B', unit_scale=True, unit_divisor=1024,
                desc=f'checking {osp.basename(path)[:24]}', leave=False,
                disable=not progress or stat.st_size < 1 << 30) as bar:
            for chunk in iter(lambda: f.read(1 << 22), b''):
                digest.update(chunk)
                bar.update(len(chunk))
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def _remember(path: str, digest: str) -> None:
    stat = os.stat(path)
    _DIGESTS[(osp.abspath(path), stat.st_size, stat.st_mtime)] = digest


def _open(url: str, start: int):
    headers = {'User-Agent': 'vitok_mm'}
    if start:
        headers['Range'] = f'bytes={start}-'
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                  timeout=TIMEOUT_SECONDS)


def download(url: str, dest: str, sha256: Optional[str] = None,
             check: Optional[Callable[[str], None]] = None, progress: bool = True,
             what: Optional[str] = None) -> str:
    """Download ``url`` (or its mirror) to ``dest`` unless ``dest`` is there; returns ``dest``.

    Args:
        sha256: the expected SHA-256 hex digest, or its first hex digits; the download is
            refused when it differs.
        check: a content check of the finished download (raising ``ValueError``), for
            files with no published digest.
        progress: a progress bar on stderr.
        what: what the file is, for messages (default: its name).

    Raises:
        FileNotFoundError: downloads are off and ``dest`` is missing.
        DownloadError: the server or network failed (the ``.partial`` file is kept and
            the next call resumes it), or the file was refused (wrong digest, failed
            check, wrong length; nothing is kept).
    """
    if osp.isfile(dest):
        return dest
    what = what or osp.basename(dest)
    source = mirrored(url)
    switch = offline_variable()
    if switch:
        raise FileNotFoundError(f'{what}: {dest} does not exist and downloads are off '
                                f'({switch}). Download {source} to that path, or unset '
                                f'{switch.split("=")[0]}.')
    from filelock import FileLock
    folder = osp.dirname(osp.abspath(dest))
    # The lock files live apart, so the cache folder holds only finished files (and a
    # .partial one to resume).
    os.makedirs(osp.join(folder, '.locks'), exist_ok=True)
    with FileLock(osp.join(folder, '.locks', osp.basename(dest) + '.lock')):
        if osp.isfile(dest):  # another process finished it while we waited
            return dest
        digest = _fetch(source, dest + '.partial', what, progress)
        partial = dest + '.partial'
        if sha256 and not digest.startswith(sha256.lower()):
            os.remove(partial)
            raise DownloadError(
                f'{what}: the download from {source} was refused: SHA-256 {digest} does not '
                f'match the expected {sha256}. Nothing was kept; if it repeats, the server '
                'or mirror serves another file.')
        if check is not None:
            try:
                check(partial)
            except (ValueError, RuntimeError, OSError) as error:
                os.remove(partial)
                raise DownloadError(f'{what}: the download from {source} was refused: '
                                    f'{error}. Nothing was kept.') from None
        os.replace(partial, dest)
        _remember(dest, digest)
    return dest


def _fetch(url: str, partial: str, what: str, progress: bool) -> str:
    """Download ``url`` into ``partial``, resuming what is there; its SHA-256."""
    start = osp.getsize(partial) if osp.isfile(partial) else 0
    try:
        response = _open(url, start)
    except urllib.error.HTTPError as error:
        if error.code == 416 and start:  # the partial file is whole already (or bogus)
            os.remove(partial)
            return _fetch(url, partial, what, progress)
        raise DownloadError(f'{what}: downloading {url} failed: HTTP {error.code} '
                            f'{error.reason}. Check the URL (or {MIRROR_VARIABLE}).') from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, 'reason', error)
        raise DownloadError(f'{what}: downloading {url} failed ({reason}). Check the '
                            'network, set VITOK_MM_OFFLINE=1 and place the file by hand, or '
                            f'point {MIRROR_VARIABLE} at a mirror.') from None
    digest = hashlib.sha256()
    with response:
        if start and response.status == 206:
            with open(partial, 'rb') as f:  # the resumed part counts towards the digest
                for chunk in iter(lambda: f.read(1 << 22), b''):
                    digest.update(chunk)
            mode = 'ab'
        else:
            start, mode = 0, 'wb'  # no range support: from the start
        length = response.headers.get('Content-Length')
        total = start + int(length) if length is not None else None
        done = start
        from tqdm import tqdm
        bar = tqdm(total=total, initial=start, unit='B', unit_scale=True, unit_divisor=1024,
                   desc=osp.basename(partial[:-len('.partial')]), disable=not progress,
                   leave=False)
        try:
            with open(partial, mode) as f:
                while True:
                    chunk = response.read(CHUNK_BYTES)
                    if not chunk:
                        break
                    f.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    bar.update(len(chunk))
        except (OSError, urllib.error.URLError) as error:
            raise DownloadError(f'{what}: the download from {url} broke off after {done} '
                                f'bytes ({error}); run again to resume it.') from None
        finally:
            bar.close()
    if total is not None and done != total:
        if done > total:
            os.remove(partial)
        raise DownloadError(f'{what}: the download from {url} ended after {done} of {total} '
                            'bytes; run again to resume it.')
    return digest.hexdigest()


__all__ = ['DownloadError', 'MIRROR_VARIABLE', 'OFFLINE_VARIABLES', 'cache_home', 'download',
           'file_sha256', 'is_offline', 'mirrored', 'offline_variable', 'url_filename']
