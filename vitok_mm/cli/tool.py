"""How the command-line tools end: a wrong input is one line, not a traceback.

Every tool's ``__main__`` is ``run_tool(main)``. An error that means the input was wrong
(:data:`USER_ERRORS`: a missing or unreadable file, a checkpoint of another model, a
bad value, a corrupt sample, a loss that went non-finite, a failed or refused download)
is printed as one line, ``error: <message>``, whose message names the file or value and
the fix, and the process exits with 1. ``--debug`` (every tool takes it) shows the
traceback instead. Anything else is a bug and keeps its traceback.
"""
import argparse
import sys
from typing import Callable, Optional, Sequence

from vitok_mm.datasets import CorruptSampleError
from vitok_mm.engine import NonFiniteError
from vitok_mm.utils import CheckpointError
from vitok_mm.utils.download import DownloadError
from vitok_mm.utils.folder_lock import FolderInUseError
from vitok_mm.utils.storage import StorageError
from vitok_mm.workflows.runner import exit_process, shutdown_distributed

#: Exceptions that mean a wrong input (their messages name it and the fix).
USER_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, CheckpointError,
               CorruptSampleError, NonFiniteError, DownloadError, StorageError,
               FolderInUseError)
DEBUG_FLAG = '--debug'


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be a positive integer, got {text}')
    return value


def non_negative_int(text: str) -> int:
    """An argparse type: an integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be >= 0, got {text}')
    return value


def add_debug_argument(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The ``--debug`` flag every tool takes (handled by :func:`run_tool`)."""
    parser.add_argument(DEBUG_FLAG, action='store_true',
                        help='show the traceback of an error instead of its one-line message')
    return parser


def error_line(error: BaseException) -> str:
    """``error: <message>`` on one line (a FileNotFoundError from the OS names its file)."""
    if isinstance(error, OSError) and error.filename and error.strerror:
        message = f'{error.filename}: {error.strerror}.'
    else:
        message = str(error) or type(error).__name__
    return 'error: ' + ' '.join(message.split())


def run_tool(main: Callable[[], int], argv: Optional[Sequence[str]] = None) -> None:
    """Run a tool's ``main()`` and end the process with its exit code; a user error
    ends it with one line on stderr and exit code 1 (a traceback with ``--debug``)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        code = main()
    except USER_ERRORS as error:
        if DEBUG_FLAG in argv:
            raise
        print(error_line(error), file=sys.stderr, flush=True)
        shutdown_distributed(barrier=False)
        exit_process(1)
        return
    shutdown_distributed(barrier=code == 0)
    exit_process(code)


__all__ = ['DEBUG_FLAG', 'USER_ERRORS', 'add_debug_argument', 'error_line',
           'non_negative_int', 'positive_int', 'run_tool']
