"""count_complexity on models the paper configs do not cover."""
from pathlib import Path

import torch

from vitok_mm.analysis import count_complexity
from vitok_mm.apis import load_inference_config
from vitok_mm.registry import MODELS

MICRO_CONFIG = Path(__file__).resolve().parents[1] / 'data' / 'micro_vitok.py'


def test_a_cpu_model_with_a_learned_position_embedding_counts_like_on_meta():
    """The embedding returns its parameter as it is, which the FLOP counter's gradient
    hooks used to fail on ("Expected gradient function to be set"); on CPU, vitok_mm's
    Linear used to take a oneDNN op the counter does not see (only attention counted)."""
    model = MODELS.build(load_inference_config(str(MICRO_CONFIG)).model)
    result = count_complexity(model, (3, 16, 16))
    assert result.params == sum(p.numel() for p in model.parameters())
    linear = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    assert result.macs > linear * 16  # every linear weight once per token (16 tokens)
    assert set(result.macs_by_module) >= {'ViTEncoder', 'ViTDecoder'}
    assert all(p.requires_grad for p in model.parameters())  # as they were
    assert model.training
    with torch.device('meta'):
        on_meta = MODELS.build(load_inference_config(str(MICRO_CONFIG)).model)
    assert count_complexity(on_meta, (3, 16, 16)).macs == result.macs
