"""Structural similarity (Wang et al. 2004) with the standard 11x11 Gaussian window."""
import torch
import torch.nn.functional as F


def gaussian_window(sigma: float = 1.5, truncate: float = 3.5,
                    dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The normalised 1D Gaussian scipy/scikit-image use: radius ``int(truncate*sigma + 0.5)``
    (5 for sigma 1.5, an 11-tap window)."""
    radius = int(truncate * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=dtype)
    window = torch.exp(-0.5 * (x / sigma) ** 2)
    return window / window.sum()


def ssim(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0,
         sigma: float = 1.5) -> torch.Tensor:
    """Mean SSIM of each image over its channels: ``(N, C, H, W)`` -> ``(N,)``.

    Matches ``skimage.metrics.structural_similarity(..., channel_axis=-1,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)``:
    Gaussian-weighted local statistics, K1 = 0.01, K2 = 0.03, averaged over the
    positions whose window lies inside the image (scikit-image crops the border the
    window overhangs). Video ``(N, C, T, H, W)`` is averaged over frames.
    """
    if pred.shape != target.shape:
        raise ValueError(f'ssim: shapes differ, {tuple(pred.shape)} vs {tuple(target.shape)}.')
    if pred.ndim == 5:
        n, c, t = pred.shape[:3]
        frames = ssim(pred.transpose(1, 2).flatten(0, 1), target.transpose(1, 2).flatten(0, 1),
                      data_range, sigma)
        return frames.view(n, t).mean(1)
    if pred.ndim != 4:
        raise ValueError(f'ssim takes (N, C, H, W) images, got shape {tuple(pred.shape)}.')
    window = gaussian_window(sigma).to(pred.device)
    size = window.numel()
    if min(pred.shape[-2:]) < size:
        raise ValueError(f'ssim needs images of at least {size}x{size}, got {tuple(pred.shape)}.')
    n, c = pred.shape[:2]
    x = pred.double().reshape(n * c, 1, *pred.shape[-2:])
    y = target.double().reshape(n * c, 1, *pred.shape[-2:])

    def blur(image: torch.Tensor) -> torch.Tensor:  # separable, 'valid' region only
        image = F.conv2d(image, window.view(1, 1, 1, -1))
        return F.conv2d(image, window.view(1, 1, -1, 1))

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x ** 2
    var_y = blur(y * y) - mu_y ** 2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return ssim_map.flatten(1).mean(1).view(n, c).mean(1)
