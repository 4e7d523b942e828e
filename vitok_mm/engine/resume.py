"""Finding the checkpoint a run resumes from."""
import glob
import os.path as osp
import re
import zipfile
from typing import Optional


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a checkpoint that was completely written: a file, or the
    folder of per-process ``rank<r>.pth`` files that FSDP's sharded checkpoints are.

    torch.save writes a zip whose central directory comes last: a file cut short by a
    kill is not a valid zip.
    """
    if osp.isdir(path):
        parts = glob.glob(osp.join(path, 'rank*.pth'))
        return bool(parts) and all(zipfile.is_zipfile(part) for part in parts)
    return osp.isfile(path) and zipfile.is_zipfile(path)


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete checkpoint of a run: ``last_checkpoint`` when it names one,
    else the highest-numbered ``iter_*.pth`` / ``epoch_*.pth`` that is complete."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and is_complete_checkpoint(named):
            return named
    numbered = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = re.fullmatch(r'(?:iter|epoch)_(\d+)\.pth', osp.basename(path))
        if match:
            numbered.append((int(match.group(1)), path))
    for _, path in sorted(numbered, reverse=True):
        if is_complete_checkpoint(path):
            return path
    return None
