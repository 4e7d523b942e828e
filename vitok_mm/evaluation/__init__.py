"""Metrics (registered in vitok_mm's METRICS) and their functional forms."""
from . import functional
from .availability import split_available
from .inception import INCEPTION_FILE, build_inception
from .metrics import FIDMetric, LPIPSMetric, ReconstructionMetric

__all__ = ['functional', 'split_available', 'INCEPTION_FILE', 'build_inception', 'FIDMetric',
           'LPIPSMetric', 'ReconstructionMetric']
