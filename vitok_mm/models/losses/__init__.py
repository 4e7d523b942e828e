from .adversarial import (
                          AdversarialLoss,
                          adaptive_weight,
                          discriminator_loss,
                          generator_loss,
                          lecam_regularizer,
                          r1_penalty,
)
from .kl import KLLoss
from .lpips import LPIPSLoss
from .pixel import CharbonnierLoss, GradientL1Loss, L1Loss, L2Loss, LowPassL1Loss

__all__ = ['AdversarialLoss', 'adaptive_weight', 'discriminator_loss', 'generator_loss',
           'lecam_regularizer', 'r1_penalty', 'KLLoss', 'LPIPSLoss', 'L1Loss', 'L2Loss',
           'LowPassL1Loss', 'GradientL1Loss', 'CharbonnierLoss']
