"""Model analysis: parameter and multiply-accumulate counts, speed, memory, baselines.

``complexity`` counts parameters and MACs; ``device``, ``gemm``, ``memory`` and
``cpu_load`` are the measuring primitives; ``benchmark`` times models side by side and
``sd_vae`` is the Stable Diffusion VAE baseline.
"""
from .benchmark import (
                        Candidate,
                        build_candidates,
                        candidate_record,
                        measure,
                        profile_table,
                        run_once,
                        timed_run,
)
from .complexity import Complexity, build_on_meta, count_complexity
from .config import input_shape_of
from .cpu_load import cpu_seconds, other_process_share
from .device import (
                     DTYPES,
                     compute_context,
                     device_name,
                     select_device,
                     set_threads,
                     synchronize,
)
from .gemm import GEMM_SIZE, best_rate, gemm_kernels, gemm_peak
from .memory import memory_method, peak_memory
from .sd_vae import (
                     SD_VAE_LAYOUT,
                     DiffusersVAE,
                     build_sd_vae,
                     sd_vae_params_note,
                     sd_vae_skip_reason,
)

__all__ = [
    'Candidate', 'build_candidates', 'candidate_record', 'measure', 'profile_table',
    'run_once', 'timed_run', 'Complexity', 'build_on_meta', 'count_complexity',
    'input_shape_of', 'cpu_seconds', 'other_process_share', 'DTYPES', 'compute_context',
    'device_name', 'select_device', 'set_threads', 'synchronize', 'GEMM_SIZE', 'best_rate',
    'gemm_kernels', 'gemm_peak', 'memory_method', 'peak_memory', 'SD_VAE_LAYOUT',
    'DiffusersVAE', 'build_sd_vae', 'sd_vae_params_note', 'sd_vae_skip_reason',
]
