"""KL regulariser of a Gaussian bottleneck."""
import torch
from torch import nn

from vitok_mm.registry import MODELS


@MODELS.register_module()
class KLLoss(nn.Module):
    """``loss_weight * mean over the batch of posterior.kl()``.

    ``posterior.kl()`` is already averaged over latent elements (mean-reduced), so the
    weight does not depend on E. A deterministic bottleneck gives 0.
    """

    def __init__(self, loss_weight: float = 1e-6, loss_name: str = 'loss_kl'):
        super().__init__()
        self.loss_weight = loss_weight
        self.loss_name = loss_name

    def forward(self, pred: torch.Tensor, target: torch.Tensor, posterior=None) -> torch.Tensor:
        if posterior is None:
            raise ValueError('KLLoss needs the posterior (the model passes it).')
        return self.loss_weight * posterior.kl().mean()
