"""Metrics (registered in vitok_mm's METRICS) and their functional forms."""
from . import functional
from .availability import split_available
from .metrics import (
                      FIDMetric,
                      FVDMetric,
                      GenerationFIDMetric,
                      GenerationFVDMetric,
                      LatentFrechetMetric,
                      LatentProbeMetric,
                      LPIPSMetric,
                      ReconstructionMetric,
)

__all__ = ['functional', 'split_available', 'FIDMetric', 'FVDMetric', 'LPIPSMetric',
           'ReconstructionMetric', 'GenerationFIDMetric', 'GenerationFVDMetric',
           'LatentFrechetMetric', 'LatentProbeMetric']
