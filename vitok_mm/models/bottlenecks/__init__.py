from .deterministic import DeterministicBottleneck, DeterministicLatent
from .gaussian import DiagonalGaussian, GaussianBottleneck

__all__ = ['GaussianBottleneck', 'DiagonalGaussian', 'DeterministicBottleneck',
           'DeterministicLatent']
