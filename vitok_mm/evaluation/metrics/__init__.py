from .reconstruction import ReconstructionMetric, to_unit_range

__all__ = ['ReconstructionMetric', 'to_unit_range']
