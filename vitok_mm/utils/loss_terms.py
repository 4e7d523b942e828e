"""The current step's loss terms, from the model to the optimizer wrapper, through MessageHub.

A model's ``parse_losses`` publishes its terms; :class:`~vitok_mm.engine.GuardedOptimWrapper`
reads them when the total goes non-finite, to name the culprit. MessageHub is MMEngine's
runtime store that both already see, so the model needs nothing from the engine. The
terms are kept out of checkpoints (``resumed=False``).
"""
from typing import Dict

import torch
from mmengine.logging import MessageHub

LOSS_TERMS_KEY = 'loss_terms'


def publish_loss_terms(terms: Dict[str, torch.Tensor]) -> None:
    """Record this step's loss terms (detached) in the current MessageHub."""
    MessageHub.get_current_instance().update_info(
        LOSS_TERMS_KEY, {k: v.detach() for k, v in terms.items()}, resumed=False)


def published_loss_terms() -> Dict[str, torch.Tensor]:
    """The loss terms last published (empty when none were)."""
    return MessageHub.get_current_instance().get_info(LOSS_TERMS_KEY) or {}
