from .blockiness import blockiness
from .colour import colour_shift
from .fid import RunningStatistics, frechet_distance, inception_score
from .latent import (
                     LinearProbe,
                     fit_linear_probe,
                     latent_frechet_distance,
                     nearest_view_psnr,
                     pca_basis,
                     probe_accuracy,
)
from .psnr import psnr
from .sharpness import high_frequency_ratio, laplacian_energy
from .ssim import gaussian_window, ssim

__all__ = ['psnr', 'ssim', 'high_frequency_ratio', 'laplacian_energy', 'gaussian_window',
           'blockiness', 'colour_shift',
           'RunningStatistics', 'frechet_distance', 'inception_score', 'pca_basis',
           'latent_frechet_distance', 'LinearProbe', 'fit_linear_probe', 'probe_accuracy',
           'nearest_view_psnr']
