"""Entry points shared by the command-line tools and scripts."""
from .runner import build_runner, exit_process, load_config, shutdown_distributed
from .testing import configure_test_sets

__all__ = ['build_runner', 'configure_test_sets', 'exit_process', 'load_config',
           'shutdown_distributed']
