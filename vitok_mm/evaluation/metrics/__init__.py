from .fid import FIDMetric, FrechetMetric, FVDMetric
from .generation import (
                         GenerationFIDMetric,
                         GenerationFVDMetric,
                         LatentFrechetMetric,
                         LatentProbeMetric,
)
from .lpips import LPIPSMetric
from .reconstruction import ReconstructionMetric, image_scores, to_unit_range

__all__ = ['FIDMetric', 'FrechetMetric', 'FVDMetric', 'LPIPSMetric', 'ReconstructionMetric',
           'image_scores', 'to_unit_range', 'GenerationFIDMetric', 'GenerationFVDMetric',
           'LatentFrechetMetric', 'LatentProbeMetric']
