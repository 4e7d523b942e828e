"""Model analysis: parameter and multiply-accumulate counts."""
from .complexity import Complexity, build_on_meta, count_complexity

__all__ = ['Complexity', 'build_on_meta', 'count_complexity']
