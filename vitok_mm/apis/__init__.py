"""Entry points shared by the command-line tools and scripts."""
from .runner import build_runner, load_config, shutdown_distributed

__all__ = ['build_runner', 'load_config', 'shutdown_distributed']
