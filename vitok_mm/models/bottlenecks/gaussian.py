"""Diagonal-Gaussian (VAE) bottleneck."""
from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from vitok_mm.registry import MODELS

from ..layers.linear import Linear


class DiagonalGaussian:
    """A posterior ``N(mean, exp(logvar))`` over a latent map ``(N, c, *grid)``.

    ``sample()`` draws with the reparameterisation trick (differentiable),
    ``mode()`` is the mean, ``kl()`` is the KL divergence to ``N(0, I)``.
    """

    def __init__(self, mean: torch.Tensor, logvar: torch.Tensor):
        self.mean = mean
        self.logvar = logvar

    @property
    def std(self) -> torch.Tensor:
        return torch.exp(0.5 * self.logvar)

    @property
    def var(self) -> torch.Tensor:
        return torch.exp(self.logvar)

    @property
    def shape(self) -> torch.Size:
        return self.mean.shape

    def sample(self, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        noise = torch.randn(self.mean.shape, generator=generator, device=self.mean.device,
                            dtype=self.mean.dtype)
        return self.mean + self.std * noise

    def mode(self) -> torch.Tensor:
        return self.mean

    def kl(self) -> torch.Tensor:
        """KL to the standard normal, averaged over every latent element: shape ``(N,)``.

        Mean-reduced (not summed) so that its weight does not depend on E.
        """
        kl = 0.5 * (self.mean.float() ** 2 + self.var.float() - 1.0 - self.logvar.float())
        return kl.flatten(1).mean(dim=1)


@MODELS.register_module()
class GaussianBottleneck(nn.Module):
    """Tokens -> a diagonal Gaussian over ``latent_channels`` per token.

    A linear layer gives ``2c`` channels per token: the mean and the log-variance,
    the latter clamped to ``logvar_range`` so that the KL and sampling stay finite.

    Shapes: ``tokens (N, L, in_channels)``, ``grid`` with ``prod(grid) == L`` ->
    :class:`DiagonalGaussian` over ``(N, c, *grid)``.
    """

    def __init__(self, in_channels: int, latent_channels: int,
                 logvar_range: Tuple[float, float] = (-30.0, 20.0)):
        super().__init__()
        if latent_channels < 1:
            raise ValueError(f'latent_channels must be >= 1, got {latent_channels}.')
        if logvar_range[0] >= logvar_range[1]:
            raise ValueError(
                f'logvar_range must be (low, high) with low < high, got {logvar_range}.')
        self.in_channels = in_channels
        self.latent_channels = latent_channels
        self.logvar_range = tuple(logvar_range)
        self.proj = Linear(in_channels, 2 * latent_channels)

    def forward(self, tokens: torch.Tensor, grid: Sequence[int]) -> DiagonalGaussian:
        moments = self.proj(tokens).transpose(1, 2).unflatten(2, tuple(grid))
        mean, logvar = moments.chunk(2, dim=1)
        return DiagonalGaussian(mean, logvar.clamp(*self.logvar_range))
