from .fid import RunningStatistics, frechet_distance, inception_score
from .psnr import psnr
from .sharpness import high_frequency_ratio, laplacian_energy
from .ssim import gaussian_window, ssim

__all__ = ['psnr', 'ssim', 'high_frequency_ratio', 'laplacian_energy', 'gaussian_window',
           'RunningStatistics', 'frechet_distance', 'inception_score']
