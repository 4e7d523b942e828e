from .fid import FIDMetric
from .lpips import LPIPSMetric
from .reconstruction import ReconstructionMetric, to_unit_range

__all__ = ['FIDMetric', 'LPIPSMetric', 'ReconstructionMetric', 'to_unit_range']
