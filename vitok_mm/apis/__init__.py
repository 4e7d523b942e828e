"""Entry points shared by the command-line tools and scripts.

``runner``: a config ready for a run, and its runner. ``testing``: a config's test sets
in one ``MultiTestLoop``. ``inference``: a config for building a model alone.
``quickstart`` / ``quickstart_video``: the quick starts, stage by stage. ``scoring``:
reconstructions in a folder scored against their originals, generated samples in a
``samples.npz`` against reference statistics. ``latents``: a dataset
encoded once into a latent cache for generators. ``samples``: the photos and
clips bundled with installed packages, laid out as the quick starts' data. ``tokenizer``:
:class:`Tokenizer`, a trained tokenizer for use (encode, decode, reconstruct, any size).
"""
from .inference import build_inference_model, load_inference_config, load_view, reconstruct_images
from .latents import extract_latents
from .model_index import find_model, list_models
from .quickstart import QuickstartResult, results_table, run_quickstart
from .quickstart_video import VideoQuickstartResult, run_video_quickstart
from .runner import build_runner, exit_process, load_config, shutdown_distributed
from .scoring import SCORE_KEYS, load_pairs, pair_files, score_folders, score_samples
from .testing import collect_test_results, configure_test_sets, save_test_results
from .tokenizer import Tokenizer

__all__ = ['build_runner', 'exit_process', 'load_config', 'shutdown_distributed',
           'configure_test_sets', 'collect_test_results', 'save_test_results',
           'build_inference_model', 'load_inference_config',
           'load_view', 'reconstruct_images', 'QuickstartResult', 'results_table',
           'run_quickstart', 'VideoQuickstartResult', 'run_video_quickstart', 'SCORE_KEYS',
           'load_pairs', 'pair_files', 'score_folders', 'score_samples', 'extract_latents',
           'Tokenizer', 'find_model', 'list_models']
