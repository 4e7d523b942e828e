"""What every discriminator shares: running means of its logits on real and fake inputs."""
import torch
import torch.distributed as dist
from torch import nn


class Discriminator(nn.Module):
    """Base of the registered discriminators: pixels in [-1, 1] -> real/fake logits.

    Keeps exponential moving averages of its mean logit on real and on reconstructed
    inputs (``logit_ema``: ``[real, fake]``), updated by the discriminator step. The LeCam
    regulariser pulls the logits towards them, and they are part of the discriminator's
    state, so a resumed run continues with the same values.
    """

    def __init__(self):
        super().__init__()
        self.register_buffer('logit_ema', torch.zeros(2))
        self.register_buffer('logit_ema_steps', torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def update_logit_ema(self, real_mean: torch.Tensor, fake_mean: torch.Tensor,
                         decay: float) -> None:
        """One EMA step; the first update takes the values as they are. Under DDP the
        means are averaged over processes first, so every process holds the same EMAs
        (and a checkpoint, written by one process, holds everybody's)."""
        value = torch.stack([real_mean.detach(), fake_mean.detach()]).float()
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(value)
            value /= dist.get_world_size()
        if int(self.logit_ema_steps) == 0:
            self.logit_ema.copy_(value)
        else:
            self.logit_ema.mul_(decay).add_(value, alpha=1 - decay)
        self.logit_ema_steps += 1
