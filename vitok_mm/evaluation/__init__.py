"""Metrics (registered in vitok_mm's METRICS) and their functional forms."""
from . import functional
from .availability import split_available
from .i3d import I3D_TORCHSCRIPT_FILE, InceptionI3d, build_i3d
from .inception import INCEPTION_FILE, build_inception
from .metrics import FIDMetric, FVDMetric, LPIPSMetric, ReconstructionMetric

__all__ = ['functional', 'split_available', 'INCEPTION_FILE', 'build_inception',
           'I3D_TORCHSCRIPT_FILE', 'InceptionI3d', 'build_i3d', 'FIDMetric', 'FVDMetric',
           'LPIPSMetric', 'ReconstructionMetric']
