"""Metrics (registered in vitok_mm's METRICS) and their functional forms."""
from . import functional
from .metrics import ReconstructionMetric

__all__ = ['functional', 'ReconstructionMetric']
