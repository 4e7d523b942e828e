"""A loopback HTTP server that stands in for the Hugging Face Hub and plain download URLs.

Tests start it themselves on 127.0.0.1 (port 0), so nothing ever leaves the machine:

    with LoopbackServer() as server:
        server.add_repo_file('org/model', 'weights.pth', data)
        path = hf_hub_download('org/model', 'weights.pth', endpoint=server.url,
                               cache_dir=tmp_path, token=False)
        url = server.add_file('vgg16-397923af.pth', data)   # for urllib / torch.hub

It serves two kinds of resources:

* plain files at ``/files/<name>`` (HEAD and GET, ``Range`` requests answered with 206), standing
  in for URLs such as ``https://download.pytorch.org/models/...``;
* Hub files at ``/{repo_id}/resolve/{revision}/{filename}``, answered with the headers and error
  codes that ``huggingface_hub`` 2.4.0 reads in ``get_hf_file_metadata`` and
  ``hf_raise_for_status`` (``X-Repo-Commit``, ``ETag``/``X-Linked-Etag``, ``X-Linked-Size``,
  ``X-Error-Code``).

Faults (truncation, corruption, throttling) can be injected per served name, every request is
logged, and a timer stops the server after ``lifetime`` seconds so a test that forgets to stop
it cannot leave it running.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

__all__ = ['LoopbackServer']

_COMMIT_RE = re.compile(r'[0-9a-f]{40}')
_RANGE_RE = re.compile(r'\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*', re.IGNORECASE)
# Throttled bodies are sent in this many chunks per second.
_THROTTLE_TICKS_PER_SECOND = 20


def _commit_for(repo_id: str, revision: str) -> str:
    """The fixed commit hash of ``revision`` in ``repo_id`` (deterministic across runs)."""
    return hashlib.sha1(f'{repo_id}@{revision}'.encode()).hexdigest()


def _corrupted(data: bytes) -> bytes:
    """``data`` with about eight bytes inverted, spread over the whole body; same length."""
    if not data:
        return data
    flipped = bytearray(data)
    for i in range(0, len(flipped), max(1, len(flipped) // 8)):
        flipped[i] ^= 0xFF
    return bytes(flipped)


@dataclasses.dataclass(frozen=True)
class _DiskFile:
    """A file served from disk, read in chunks (weights of many GB never sit in memory)."""

    path: str
    size: int
    sha256: str

    @classmethod
    def of(cls, path: str | os.PathLike, sha256: str | None = None) -> _DiskFile:
        if sha256 is None:
            digest = hashlib.sha256()
            with open(path, 'rb') as f:
                for chunk in iter(lambda: f.read(1 << 24), b''):
                    digest.update(chunk)
            sha256 = digest.hexdigest()
        return cls(str(path), os.path.getsize(path), sha256)

    def chunks(self, start: int, stop: int, size: int = 1 << 20):
        with open(self.path, 'rb') as f:
            f.seek(start)
            while start < stop:
                chunk = f.read(min(size, stop - start))
                if not chunk:
                    return
                start += len(chunk)
                yield chunk


def _size(data: bytes | _DiskFile) -> int:
    return data.size if isinstance(data, _DiskFile) else len(data)


def _sha256(data: bytes | _DiskFile) -> str:
    return data.sha256 if isinstance(data, _DiskFile) else hashlib.sha256(data).hexdigest()


@dataclasses.dataclass
class _Faults:
    """The faults injected for one served name."""

    truncate_at: int | None = None
    corrupt: bool = False
    bytes_per_second: int | None = None


class _Server(ThreadingHTTPServer):
    """The socket server, with a link back to its :class:`LoopbackServer`."""

    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request, client_address) -> None:
        # Clients that hang up mid-body (killed downloads, truncation faults) are expected;
        # the default handler would print a traceback for each.
        pass


class _Handler(BaseHTTPRequestHandler):
    """Routes one request to a plain file or a Hub file of the owning server."""

    # HTTP/1.0: one request per connection, so no keep-alive connection outlives stop().
    protocol_version = 'HTTP/1.0'
    server: _Server

    def log_message(self, format, *args) -> None:
        # Quiet: the request log on LoopbackServer replaces the stderr lines.
        pass

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch(send_body=False)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch(send_body=True)

    def _dispatch(self, send_body: bool) -> None:
        owner = self.server.owner
        owner._log(self.command, self.path, dict(self.headers.items()))
        path = urlsplit(self.path).path
        try:
            if path.startswith('/files/'):
                owner._serve_plain(self, unquote(path[len('/files/'):]), send_body)
            else:
                owner._serve_hub(self, path, send_body)
        except OSError:
            # The client went away (or stop() cut the connection); nothing left to answer.
            self.close_connection = True


class LoopbackServer:
    """An HTTP server on 127.0.0.1 that serves plain files and Hub repo files to tests.

    Use it as a context manager (``with LoopbackServer() as server:``) or call :meth:`start`
    and :meth:`stop`. After ``lifetime`` seconds a timer stops it regardless.
    """

    def __init__(self, lifetime: float = 120.0) -> None:
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._requests: list[tuple[str, str]] = []
        self._request_headers: list[dict[str, str]] = []
        self._files: dict[str, bytes | _DiskFile] = {}
        # repo_id -> {revision: commit}; (repo_id, commit) -> {filename: bytes}
        self._refs: dict[str, dict[str, str]] = {}
        self._trees: dict[tuple[str, str], dict[str, bytes | _DiskFile]] = {}
        self._gated: set[str] = set()
        self._faults: dict[str, _Faults] = {}
        self._connections: set[socket.socket] = set()
        # _stopped: stop() has begun (throttled sends bail out); _closed: the port is closed.
        self._stopped = threading.Event()
        self._closed = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LoopbackServer:
        """Bind 127.0.0.1 on a free port, serve in a daemon thread and arm the lifetime timer."""
        if self._httpd is not None or self._stopped.is_set():
            raise RuntimeError('a LoopbackServer can be started only once')
        httpd = _Server(('127.0.0.1', 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={'poll_interval': 0.05},
            name='loopback-server', daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and cut open connections (idempotent)."""
        with self._lock:
            first = not self._stopped.is_set()
            self._stopped.set()
        if self._httpd is None:
            self._closed.set()
            return
        if not first:
            # Another thread (the lifetime timer, or __exit__) is already stopping it; return
            # only once the port is really closed.
            self._closed.wait(timeout=10)
            return
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        # A throttled response could otherwise keep a handler thread writing long after the
        # test ended; cutting the socket makes it fail fast.
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._closed.set()

    @property
    def running(self) -> bool:
        """Whether the server is started and its port not yet closed (by stop() or the timer)."""
        return self._httpd is not None and not self._closed.is_set()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT``; pass it as ``endpoint=`` to huggingface_hub."""
        if self._httpd is None:
            raise RuntimeError('LoopbackServer not started')
        host, port = self._httpd.server_address[:2]
        return f'http://{host}:{port}'

    # -- content ---------------------------------------------------------------------------

    def add_file(self, name: str, data: bytes | os.PathLike) -> str:
        """Serve ``data`` (bytes, or a file on disk given as a ``Path``) at
        ``/files/<name>`` and return its full URL."""
        body = _DiskFile.of(data) if isinstance(data, Path) else bytes(data)
        with self._lock:
            self._files[name] = body
        return f'{self.url}/files/{quote(name)}'

    def add_repo_file(self, repo_id: str, filename: str, data: bytes | os.PathLike,
                      revision: str = 'main', sha256: str | None = None) -> None:
        """Serve ``data`` (bytes, or a file on disk given as a ``Path``, read in chunks
        when served; ``sha256`` spares hashing it again) as ``filename`` of ``repo_id`` at
        ``revision``.

        Each (repo, revision) has one fixed commit hash, see :meth:`commit_hash`; the file is
        also reachable with that hash as the revision.
        """
        body = _DiskFile.of(data, sha256) if isinstance(data, Path) else bytes(data)
        commit = _commit_for(repo_id, revision)
        with self._lock:
            self._refs.setdefault(repo_id, {})[revision] = commit
            self._trees.setdefault((repo_id, commit), {})[filename] = body

    def commit_hash(self, repo_id: str, revision: str = 'main') -> str:
        """The 40-hex commit hash the server reports for ``revision`` of ``repo_id``."""
        return _commit_for(repo_id, revision)

    def gate(self, repo_id: str) -> None:
        """Make ``repo_id`` gated: requests without an ``authorization`` header get 401."""
        with self._lock:
            self._gated.add(repo_id)

    # -- request log -----------------------------------------------------------------------

    @property
    def requests(self) -> list[tuple[str, str]]:
        """A snapshot of ``(method, path)`` for every request so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def request_headers(self) -> list[dict[str, str]]:
        """The headers of each request, in the order of :attr:`requests` (e.g. to see ``Range``)."""
        with self._lock:
            return [dict(h) for h in self._request_headers]

    def count(self, method: str | None = None, contains: str = '') -> int:
        """How many logged requests have ``method`` (any if None) and ``contains`` in the path."""
        return sum(1 for m, p in self.requests
                   if (method is None or m == method) and contains in p)

    # -- fault injection -------------------------------------------------------------------

    def truncate(self, name: str, nbytes: int) -> None:
        """Cut the connection once byte offset ``nbytes`` of ``name`` is reached.

        The headers still announce the full length. The cut is at an absolute offset in the
        file, so a client that resumes with ``Range: bytes=N-`` (N >= nbytes) gets headers and
        no body at all: the file can never be completed, as with a server whose copy is short.
        """
        with self._lock:
            self._faults.setdefault(name, _Faults()).truncate_at = max(0, int(nbytes))

    def corrupt(self, name: str) -> None:
        """Serve ``name`` with some bytes inverted: same length, same ETag and headers."""
        with self._lock:
            self._faults.setdefault(name, _Faults()).corrupt = True

    def throttle(self, name: str, bytes_per_second: int) -> None:
        """Send the body of ``name`` slowly, so a client can be interrupted halfway."""
        if bytes_per_second <= 0:
            raise ValueError('bytes_per_second must be positive')
        with self._lock:
            self._faults.setdefault(name, _Faults()).bytes_per_second = int(bytes_per_second)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self._faults.clear()

    # -- internals (called from handler threads) -------------------------------------------

    def _log(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self._requests.append((method, path))
            self._request_headers.append(headers)

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _fault(self, name: str) -> _Faults:
        with self._lock:
            # A copy, so clear_faults() during a slow send does not change it halfway.
            return dataclasses.replace(self._faults.get(name, _Faults()))

    def _serve_plain(self, handler: _Handler, name: str, send_body: bool) -> None:
        with self._lock:
            data = self._files.get(name)
        if data is None:
            self._send_error(handler, 404, send_body, {}, f'No such file: {name}')
            return
        headers = {'ETag': f'"{_sha256(data)}"'}
        self._send_content(handler, name, data, headers, send_body)

    def _serve_hub(self, handler: _Handler, path: str, send_body: bool) -> None:
        parts = path.strip('/').split('/')
        # /{org}/{name}/resolve/{revision}/{filename...}; the Hub also has org-less repo ids.
        if len(parts) >= 5 and parts[2] == 'resolve':
            repo_id, rest = f'{unquote(parts[0])}/{unquote(parts[1])}', parts[3:]
        elif len(parts) >= 4 and parts[1] == 'resolve':
            repo_id, rest = unquote(parts[0]), parts[2:]
        else:
            self._send_error(handler, 404, send_body, {}, 'Not a Hub file URL')
            return
        # huggingface_hub quotes the revision with safe='' ("refs/pr/1" -> "refs%2Fpr%2F1").
        revision = unquote(rest[0])
        filename = unquote('/'.join(rest[1:]))
        authorized = handler.headers.get('authorization') is not None

        with self._lock:
            refs = dict(self._refs.get(repo_id, {}))
            gated = repo_id in self._gated
        if not refs:
            # Like the Hub: 401 for anonymous callers (it will not tell whether a private repo
            # exists), 404 with a token. Version 2.4.0 maps X-Error-Code 'RepoNotFound' (not
            # 'RepositoryNotFound') to RepositoryNotFoundError; without it a 401 on http:// is
            # a bare HfHubHTTPError.
            self._send_error(handler, 404 if authorized else 401, send_body,
                             {'X-Error-Code': 'RepoNotFound',
                              'X-Error-Message': 'Repository not found'},
                             f'Repository not found: {repo_id}')
            return
        if gated and not authorized:
            self._send_error(handler, 401, send_body,
                             {'X-Error-Code': 'GatedRepo',
                              'X-Error-Message': f'Access to model {repo_id} is restricted.'},
                             f'Gated repo: {repo_id}')
            return
        if revision in refs:
            commit = refs[revision]
        elif _COMMIT_RE.fullmatch(revision) and revision in refs.values():
            commit = revision
        else:
            self._send_error(handler, 404, send_body,
                             {'X-Error-Code': 'RevisionNotFound',
                              'X-Error-Message': 'Invalid rev id'},
                             f'Revision not found: {revision}')
            return
        with self._lock:
            data = self._trees.get((repo_id, commit), {}).get(filename)
        if data is None:
            # The Hub names the commit on EntryNotFound; the client caches the miss under
            # .no_exist/<commit>/ with it.
            self._send_error(handler, 404, send_body,
                             {'X-Error-Code': 'EntryNotFound',
                              'X-Error-Message': 'Entry not found',
                              'X-Repo-Commit': commit},
                             f'Entry not found: {filename}')
            return
        etag = f'"{_sha256(data)}"'
        headers = {
            'X-Repo-Commit': commit,
            # As for an LFS file: both the ETag and the linked ETag are the content sha256, which
            # huggingface_hub uses as the blob name in its cache.
            'ETag': etag,
            'X-Linked-Etag': etag,
            'X-Linked-Size': str(_size(data)),
        }
        self._send_content(handler, filename, data, headers, send_body)

    def _send_error(self, handler: _Handler, status: int, send_body: bool,
                    headers: dict[str, str], message: str) -> None:
        body = json.dumps({'error': message}).encode()
        handler.send_response(status)
        handler.send_header('Content-Type', 'application/json')
        handler.send_header('Content-Length', str(len(body)))
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if send_body:
            handler.wfile.write(body)

    def _send_content(self, handler: _Handler, name: str, data: bytes | _DiskFile,
                      headers: dict[str, str], send_body: bool) -> None:
        size = _size(data)
        span = self._parse_range(handler.headers.get('Range'), size)
        if span == 'unsatisfiable':
            self._send_error(handler, 416, send_body, {'Content-Range': f'bytes */{size}'},
                             'Range not satisfiable')
            return
        start, end = span if span is not None else (0, size)
        handler.send_response(206 if span is not None else 200)
        handler.send_header('Content-Type', 'application/octet-stream')
        handler.send_header('Content-Length', str(end - start))
        handler.send_header('Accept-Ranges', 'bytes')
        if span is not None:
            handler.send_header('Content-Range', f'bytes {start}-{end - 1}/{size}')
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if not send_body:
            return

        faults = self._fault(name)
        stop_at = end
        if faults.truncate_at is not None:
            stop_at = max(start, min(end, faults.truncate_at))
        if isinstance(data, _DiskFile):
            if faults.corrupt or faults.bytes_per_second is not None:
                raise NotImplementedError('corrupt/throttle apply to in-memory files only')
            for chunk in data.chunks(start, stop_at):
                if self._stopped.is_set():
                    break
                handler.wfile.write(chunk)
        elif faults.bytes_per_second is None:
            body = _corrupted(data) if faults.corrupt else data
            handler.wfile.write(body[start:stop_at])
        else:
            body = _corrupted(data) if faults.corrupt else data
            chunk = max(1, faults.bytes_per_second // _THROTTLE_TICKS_PER_SECOND)
            for offset in range(start, stop_at, chunk):
                if self._stopped.is_set():
                    break
                handler.wfile.write(body[offset:min(offset + chunk, stop_at)])
                handler.wfile.flush()
                time.sleep(1 / _THROTTLE_TICKS_PER_SECOND)
        if stop_at < end:
            handler.wfile.flush()
            handler.close_connection = True
            # Closing at once (rather than on handler exit) makes the short body unambiguous.
            handler.connection.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
        """``(start, end)`` (end exclusive) for a single byte range, 'unsatisfiable', or None.

        None means "answer 200 with the whole body": no header, or one this server does not
        handle (several ranges, other units), which RFC 9110 allows a server to ignore.
        """
        if not header:
            return None
        match = _RANGE_RE.fullmatch(header)
        if match is None:
            return None
        first, last = match.groups()
        if not first and not last:
            return None
        if not first:  # suffix range: the last N bytes
            length = int(last)
            if length == 0:
                return 'unsatisfiable'
            return max(0, size - length), size
        start = int(first)
        end = size if not last else min(size, int(last) + 1)
        if start >= size or start >= end:
            return 'unsatisfiable'
        return start, end
