"""The processes of a job run outside a runner (latent extraction, sampling): joining the
process group torchrun set up, and the device each process works on."""
import os
from typing import Optional

import torch
import torch.distributed as dist

LAUNCHERS = ('none', 'pytorch')


def init_distributed(launcher: str, job: str = 'this job') -> None:
    """Join torchrun's process group (``launcher='pytorch'``; NCCL with CUDA, else gloo).

    Does nothing for ``'none'`` or when a group already exists.

    Raises:
        ValueError: another launcher (Slurm and MPI jobs go through ``tools/train.py``).
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f"launcher {launcher!r}: {job} runs with 'none' or 'pytorch' "
                         '(torchrun).')
    if launcher == 'none' or (dist.is_available() and dist.is_initialized()):
        return
    dist.init_process_group(backend='nccl' if torch.cuda.is_available() else 'gloo')


def local_device(device: Optional[str] = None) -> torch.device:
    """``device``, by default this process's GPU (``cuda:LOCAL_RANK``) when CUDA is
    available, else the CPU."""
    if device is None:
        device = (f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}' if torch.cuda.is_available()
                  else 'cpu')
    return torch.device(device)
