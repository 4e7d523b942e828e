"""Runs: what the tools and the quick starts do with a config, a checkpoint or a folder.

``runner``: a config ready for a run, and its runner. ``testing``: a config's test sets
in one ``MultiTestLoop``. ``quickstart`` / ``quickstart_video`` / ``quickstart_dit``: the
quick starts, stage by stage. ``samples``: the photos and clips bundled with installed
packages, laid out as the quick starts' data. ``sweep``: scaling sweeps. ``latents``: a
dataset encoded once into a latent cache for generators. ``sampling``: a generator
sampled into a folder (``tools/sample_dit.py``). ``scoring``: reconstructions in a folder
scored against their originals, generated samples in a ``samples.npz`` against reference
statistics. ``evaluate``: tokenizers side by side on one folder (``vitok-mm evaluate``).
``export``: a tokenizer as ONNX or TorchScript files.

A workflow may import :mod:`vitok_mm.apis` (the user's API); the API never imports a
workflow.
"""
from .latents import extract_latents
from .quickstart import QuickstartResult, results_table, run_quickstart
from .quickstart_video import VideoQuickstartResult, run_video_quickstart
from .runner import build_runner, exit_process, load_config, shutdown_distributed
from .scoring import SCORE_KEYS, load_pairs, pair_files, score_folders, score_samples
from .testing import collect_test_results, configure_test_sets, save_test_results

__all__ = ['QuickstartResult', 'SCORE_KEYS', 'VideoQuickstartResult', 'build_runner',
           'collect_test_results', 'configure_test_sets', 'exit_process', 'extract_latents',
           'load_config', 'load_pairs', 'pair_files', 'results_table', 'run_quickstart',
           'run_video_quickstart', 'save_test_results', 'score_folders', 'score_samples',
           'shutdown_distributed']
