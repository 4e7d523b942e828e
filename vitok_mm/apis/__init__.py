"""Entry points shared by the command-line tools and scripts."""
from .runner import build_runner, exit_process, load_config, shutdown_distributed

__all__ = ['build_runner', 'exit_process', 'load_config', 'shutdown_distributed']
