"""Files of Hugging Face Hub repositories (``hf://ORG/REPO[@REVISION]``), through
``huggingface_hub``: its cache, progress bars, ``HF_TOKEN``, revisions and offline mode.

Errors are one line that names the repository, the files and the fix: gated or private
repositories (``HF_TOKEN``), unknown repositories, revisions or files, and files that are
not cached when downloads are off (``VITOK_MM_OFFLINE=1``, ``HF_HUB_OFFLINE=1``) or the
Hub cannot be reached, with the command that fetches them on a networked machine.
"""
import os
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

from .download import DownloadError, cache_home, file_sha256, offline_variable

HF_SCHEME = 'hf://'
_REPO_ID = re.compile(r'^[\w.-]+/[\w.-]+$')
_SHA256 = re.compile(r'^[0-9a-f]{64}$')


def is_hf_uri(text) -> bool:
    return isinstance(text, str) and text.startswith(HF_SCHEME)


def parse_hf_uri(uri: str) -> Tuple[str, Optional[str]]:
    """``'hf://ORG/REPO[@REVISION]'`` -> ``(repo_id, revision or None)``.

    Raises:
        ValueError: not of that form.
    """
    body = uri[len(HF_SCHEME):] if is_hf_uri(uri) else ''
    repo_id, _, revision = body.partition('@')
    if not _REPO_ID.match(repo_id) or (revision == '' and '@' in body):
        raise ValueError(f'{uri!r} is not a Hub repository: write hf://ORG/REPO or '
                         'hf://ORG/REPO@REVISION.')
    return repo_id, revision or None


def fetch_command(repo_id: str, filenames: Sequence[str], revision: Optional[str]) -> str:
    """The shell command that downloads ``filenames`` of ``repo_id`` into the Hub cache."""
    command = f'hf download {repo_id} {" ".join(filenames)}'
    return command + (f' --revision {revision}' if revision else '')


def hub_files(repo_id: str, filenames: Sequence[str], revision: Optional[str] = None,
              cache_dir: Optional[str] = None, local_files_only: bool = False,
              what: Optional[str] = None) -> List[str]:
    """Local paths of ``filenames`` of the Hub repository ``repo_id``, downloaded into the
    Hugging Face cache when they are not there (``hf_hub_download``).

    ``HF_ENDPOINT``, ``HF_HUB_CACHE`` and ``HF_HOME`` are read now (huggingface_hub reads
    them once, at import).

    Raises:
        FileNotFoundError: a file is not cached and downloads are off or the Hub cannot be
            reached; the message gives the command that fetches them.
        DownloadError: the repository is gated or private (``HF_TOKEN``), or the
            repository, revision or a file does not exist.
    """
    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils import (  # where both 0.x and 1.x+ releases export them
        EntryNotFoundError,
        GatedRepoError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )
    what = what or repo_id
    if cache_dir is None and (os.environ.get('HF_HUB_CACHE') or os.environ.get('HF_HOME')):
        # Read now too: huggingface_hub reads them once, at import.
        cache_dir = os.environ.get('HF_HUB_CACHE') or osp.join(os.environ['HF_HOME'], 'hub')
    switch = offline_variable()
    local_files_only = local_files_only or switch is not None
    at = f' at revision {revision}' if revision else ''
    paths = []
    for filename in filenames:
        try:
            paths.append(hf_hub_download(
                repo_id, filename, revision=revision, cache_dir=cache_dir,
                local_files_only=local_files_only, endpoint=os.environ.get('HF_ENDPOINT')))
        except LocalEntryNotFoundError:  # before EntryNotFoundError: it is one
            why = (f'downloads are off ({switch})' if switch else
                   'local_files_only=True' if local_files_only else
                   'the Hub could not be reached')
            raise FileNotFoundError(
                f'{what}: {", ".join(filenames)} of hf://{repo_id}{at} are not in the Hugging '
                f'Face cache and {why}. Fetch them with '
                f'`{fetch_command(repo_id, filenames, revision)}` (on a networked machine, '
                'then copy its HF_HOME here).') from None
        except GatedRepoError:  # before RepositoryNotFoundError: it is one
            raise DownloadError(
                f'{what}: hf://{repo_id} is gated: accept its terms at '
                f'https://huggingface.co/{repo_id} and set HF_TOKEN to a token of that '
                'account (or run `hf auth login`).') from None
        except RepositoryNotFoundError:
            raise DownloadError(
                f'{what}: the Hub has no repository {repo_id} (or it is private: set '
                'HF_TOKEN to a token that can read it).') from None
        except RevisionNotFoundError:
            raise DownloadError(f'{what}: {repo_id} has no revision {revision!r}.') from None
        except EntryNotFoundError:
            raise DownloadError(f'{what}: hf://{repo_id} has no file {filename}{at}.') from None
        except Exception as error:  # HTTP errors, and the HTTP client's own
            # (a connection cut mid-file), which huggingface_hub passes through unwrapped.
            reason = f'{type(error).__name__}: {" ".join(str(error).split())}'.rstrip(': ')
            raise DownloadError(
                f'{what}: downloading {filename} of hf://{repo_id}{at} failed ({reason}). Run '
                'again to resume it.') from None
        verify_hub_file(paths[-1], repo_id, filename, what)
    return paths


def _git_blob_sha1(path: str) -> str:
    import hashlib
    digest = hashlib.sha1(f'blob {osp.getsize(path)}\0'.encode())
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 22), b''):
            digest.update(chunk)
    return digest.hexdigest()


def verify_hub_file(path: str, repo_id: str, filename: str, what: Optional[str] = None) -> str:
    """Check a file of the Hugging Face cache against the digest its blob is named by
    (the SHA-256 of a large file, the git object id of a small one), once: a mark in
    :func:`~vitok_mm.utils.download.cache_home` remembers a checked blob. Returns the
    blob's digest.

    Raises:
        DownloadError: the content differs (a download corrupted on its way); the blob is
            removed from the cache, so the next call downloads it anew.
    """
    blob = osp.realpath(path)
    expected = osp.basename(blob)
    stat = os.stat(blob)
    mark = osp.join(cache_home(), 'verified', expected)
    stamp = f'{stat.st_size} {stat.st_mtime_ns}'
    if osp.isfile(mark):
        with open(mark) as f:
            if f.read() == stamp:
                return expected
    if _SHA256.match(expected):
        digest = file_sha256(blob)
    elif re.match(r'^[0-9a-f]{40}$', expected):
        digest = _git_blob_sha1(blob)
    else:
        return file_sha256(blob)  # not a Hub cache blob (a local folder): nothing to check
    if digest != expected:
        for doomed in {blob, osp.abspath(path)}:
            if osp.lexists(doomed):
                os.remove(doomed)
        raise DownloadError(
            f'{what or repo_id}: {filename} of hf://{repo_id} was refused: its content has '
            f'digest {digest}, the Hub announced {expected}. It was removed from the cache; '
            'run again to download it anew.')
    os.makedirs(osp.dirname(mark), exist_ok=True)
    with open(mark, 'w') as f:
        f.write(stamp)
    return expected


__all__ = ['HF_SCHEME', 'fetch_command', 'hub_files', 'is_hf_uri', 'parse_hf_uri',
           'verify_hub_file']
