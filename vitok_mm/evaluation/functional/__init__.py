from .fid import RunningStatistics, frechet_distance, inception_score
from .psnr import psnr
from .ssim import gaussian_window, ssim

__all__ = ['psnr', 'ssim', 'gaussian_window', 'RunningStatistics', 'frechet_distance',
           'inception_score']
