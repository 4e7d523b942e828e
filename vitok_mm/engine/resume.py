"""Finding the checkpoint a run resumes from, and saying what it passed over."""
import glob
import os.path as osp
import re
import zipfile
from typing import Callable, List, Optional, Tuple


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be resumed from, or None when it is a complete checkpoint: a
    file, or the folder of per-process ``rank<r>.pth`` files of FSDP's sharded
    checkpoints. Each file is read in full: torch.save writes a zip whose central
    directory comes last (a file cut short has none) and whose entries carry CRC-32s (a
    file damaged in copying fails one)."""
    if osp.isdir(path):
        parts = sorted(glob.glob(osp.join(path, 'rank*.pth')))
        if not parts:
            return 'a folder without rank*.pth parts'
        for part in parts:
            problem = checkpoint_problem(part)
            if problem:
                return f'{osp.basename(part)}: {problem}'
        return None
    if not osp.isfile(path):
        return 'missing'
    if not zipfile.is_zipfile(path):
        return (f'truncated or not a checkpoint ({osp.getsize(path)} bytes, without the zip '
                'directory torch.save writes at its end)')
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        return f'unreadable ({error})'
    if bad is not None:
        return f'corrupt (its entry {bad} fails the CRC check)'
    return None


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a complete checkpoint (:func:`checkpoint_problem`)."""
    return checkpoint_problem(path) is None


def _iteration(path: str) -> Optional[int]:
    match = re.fullmatch(r'(?:iter|epoch)_(\d+)(?:\.pth)?', osp.basename(path.rstrip('/')))
    return int(match.group(1)) if match else None


def _candidates(work_dir: str) -> List[str]:
    """``last_checkpoint``'s file, then ``iter_*.pth`` / ``epoch_*.pth`` newest first."""
    found = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named:
            found.append(named)
    numbered = [(_iteration(path), path) for path in glob.glob(osp.join(work_dir, '*.pth'))]
    found += [path for number, path in sorted((n, p) for n, p in numbered if n is not None)[::-1]
              if path not in found]
    return found


def find_resume_checkpoint(work_dir: str,
                           warn: Optional[Callable[[str], None]] = None) -> Optional[str]:
    """The newest complete checkpoint of a run: ``last_checkpoint``'s file when it is
    complete, else the highest-numbered complete ``iter_*.pth`` / ``epoch_*.pth``.

    Every newer file passed over is reported through ``warn`` (default: the MMEngine
    logger's warning), naming it, why it was skipped and the iterations that will be
    trained again.
    """
    skipped: List[Tuple[str, str]] = []
    chosen = None
    for path in _candidates(work_dir):
        problem = checkpoint_problem(path)
        if problem is None:
            chosen = path
            break
        skipped.append((path, problem))
    if skipped:
        (warn or _log_warning)(skipped_message(skipped, chosen))
    return chosen


def skipped_message(skipped: List[Tuple[str, str]], chosen: Optional[str]) -> str:
    """What resuming passed over, in words."""
    lines = [f'resume skipped {path}: {problem}' for path, problem in skipped]
    newest = max((n for n in (_iteration(p) for p, _ in skipped) if n is not None),
                 default=None)
    if chosen is None:
        lines.append('no complete checkpoint is left: the run starts from scratch.')
    else:
        done = _iteration(chosen)
        lost = (f'; iterations {done + 1}-{newest} will be trained again'
                if done is not None and newest is not None and newest > done else '')
        lines.append(f'resuming from {chosen}{lost}.')
    return '\n'.join(lines)


def _log_warning(message: str) -> None:
    import logging

    from mmengine.logging import print_log
    print_log(message, logger='current', level=logging.WARNING)


__all__ = ['checkpoint_problem', 'find_resume_checkpoint', 'is_complete_checkpoint',
           'skipped_message']
