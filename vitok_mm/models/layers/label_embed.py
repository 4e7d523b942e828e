"""Class labels to vectors, with the extra "null" class classifier-free guidance needs."""
from typing import Optional

import torch
from torch import nn

from vitok_mm.registry import MODELS


@MODELS.register_module()
class LabelEmbedding(nn.Module):
    """A table of ``num_classes + 1`` rows; row ``num_classes`` is the null label.

    In training, each label is replaced by the null label with probability ``dropout``
    (DiT: 0.1), which teaches the unconditional model guidance needs.

    Args:
        num_classes: number of real classes.
        dim: embedding width.
        dropout: label dropout probability in training; with 0 the null row is still
            there (guidance then uses an untrained row: give ``dropout > 0`` to guide).

    Shapes: ``labels (N,)`` int64 in ``[0, num_classes]`` -> ``(N, dim)``.
    """

    def __init__(self, num_classes: int, dim: int, dropout: float = 0.1):
        super().__init__()
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}.')
        if not 0 <= dropout < 1:
            raise ValueError(f'label dropout must be in [0, 1), got {dropout}.')
        self.num_classes = num_classes
        self.dropout = dropout
        self.table = nn.Embedding(num_classes + 1, dim)
        nn.init.normal_(self.table.weight, std=0.02)

    @property
    def null_label(self) -> int:
        return self.num_classes

    def check_labels(self, labels: torch.Tensor) -> None:
        """A ValueError naming the first label outside ``[0, num_classes]``."""
        bad = (labels < 0) | (labels > self.num_classes)
        if bad.any():
            value = int(labels[bad][0])
            raise ValueError(
                f'class id {value} is out of range: this model has {self.num_classes} classes '
                f'(ids 0..{self.num_classes - 1}; {self.num_classes} is the null label).')

    def forward(self, labels: torch.Tensor,
                force_drop: Optional[torch.Tensor] = None) -> torch.Tensor:
        if labels.device.type == 'cpu':  # elsewhere the check would cost a device sync
            self.check_labels(labels)
        if force_drop is not None:
            labels = torch.where(force_drop.bool(), self.null_label, labels)
        elif self.training and self.dropout > 0:
            drop = torch.rand(labels.shape, device=labels.device) < self.dropout
            labels = torch.where(drop, self.null_label, labels)
        return self.table(labels)
