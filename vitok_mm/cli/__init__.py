"""The command line: the ``vitok-mm`` console script (:mod:`.main`), how every tool ends
(:mod:`.tool`: a wrong input is one line), and the file handling behind ``reconstruct``,
``encode`` and ``decode`` (:mod:`.files`, :mod:`.latent_files`)."""
from .main import build_parser, console_main, main
from .tool import (
                   DEBUG_FLAG,
                   USER_ERRORS,
                   add_debug_argument,
                   error_line,
                   non_negative_int,
                   positive_int,
                   run_tool,
)

__all__ = ['DEBUG_FLAG', 'USER_ERRORS', 'add_debug_argument', 'build_parser', 'console_main',
           'error_line', 'main', 'non_negative_int', 'positive_int', 'run_tool']
