"""Parameters and GFLOPs of a model, counted as the ViTok paper counts them.

The paper's "GFLOPs" are multiply-accumulates (MACs) of encode + decode for one
sample, attention matmuls included, element-wise work (norms, activations, RoPE)
left out. We count them by running the real module graph on PyTorch's meta device
under :class:`torch.utils.flop_counter.FlopCounterMode`, so no memory is allocated
and no weights are computed, and halve its FLOPs (it counts 2 per MAC).
"""
from dataclasses import dataclass
from typing import Any, Callable, Dict, Sequence, Tuple

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from vitok_mm.registry import MODELS


@dataclass(frozen=True)
class Complexity:
    """What :func:`count_complexity` measured for one input."""
    params: int  # of the tokenizer (what encode + decode use)
    macs: int
    macs_by_module: Dict[str, int]  # top-level submodules, by class name
    training_only_params: int = 0  # e.g. a stage-2 discriminator
    fixed_params: int = 0  # values of fixed tables (DiT's sin-cos positions), not counted above
    #: the decoder's pixel head, by its class name (part of ``params``)
    head_params: Dict[str, int] = None

    @property
    def gflops(self) -> float:
        """GMACs, the paper's 'GFLOPs'."""
        return self.macs / 1e9


def build_on_meta(model_cfg: dict) -> nn.Module:
    """Build a model config on the meta device: shapes only, no memory, instant."""
    from vitok_mm.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with torch.device('meta'):
        return MODELS.build(model_cfg)


def _count_macs(model: nn.Module, run: Callable[[], Any]) -> Tuple[int, Dict[str, int]]:
    """MACs of ``run()`` (which calls ``model``), in total and by top-level submodule."""
    # The math backend's explicit matmuls are what the counter sees; fused SDPA
    # kernels have no counting rule on every device.
    backends = {m: m.backend for m in model.modules()
                if hasattr(m, 'backend') and hasattr(m, 'qkv')}
    for module in backends:
        module.backend = 'math'
    was_training = model.training
    model.eval()
    # No output may require a gradient while counting: the counter's module tracker
    # hooks the gradient of every such output and fails on a parameter returned as it
    # is (a learned position embedding at its base grid). Grad mode itself stays on,
    # building no graph, because without it vitok_mm's Linear runs float32 CPU inference
    # through a oneDNN op that the counter has no rule for.
    requires_grad = {p: p.requires_grad for p in model.parameters()}
    for parameter in requires_grad:
        parameter.requires_grad_(False)
    counter = FlopCounterMode(display=False, depth=2)
    try:
        with torch.enable_grad(), counter:
            run()
    finally:
        for module, backend in backends.items():
            module.backend = backend
        for parameter, required in requires_grad.items():
            parameter.requires_grad_(required)
        model.train(was_training)
    by_module = {name: sum(counts.values()) // 2
                 for name, counts in counter.get_flop_counts().items()
                 if name != 'Global' and '.' not in name}
    return counter.get_total_flops() // 2, by_module


def count_complexity(model: nn.Module, input_shape: Sequence[int]) -> Complexity:
    """Parameters and encode+decode MACs of ``model`` for one input of ``input_shape``.

    Args:
        model: a ViTok-like model with ``encode``/``decode`` (``forward`` otherwise),
            or a latent generator (``LatentDiffusion``: one forward of its network, the
            unit of training and of each solver step), on any device; the meta device
            is the fast choice.
        input_shape: one sample, ``(C, H, W)`` or ``(C, T, H, W)`` (a generator's: its
            latent shape).
    """
    if hasattr(model, 'generator') and hasattr(model, 'latent_shape'):
        return _generator_complexity(model.generator, input_shape)
    discriminator = getattr(model, 'discriminator', None)
    training_only = (sum(p.numel() for p in discriminator.parameters())
                     if isinstance(discriminator, nn.Module) else 0)
    params = sum(p.numel() for p in model.parameters()) - training_only
    x = torch.zeros((1, *input_shape), device=next(model.parameters()).device)
    if hasattr(model, 'encode') and hasattr(model, 'decode'):
        macs, by_module = _count_macs(model, lambda: model.decode(model.encode(x).mode()))
    else:
        macs, by_module = _count_macs(model, lambda: model(x))
    head = getattr(getattr(model, 'decoder', None), 'pixel_head', None)
    heads = {type(head).__name__: sum(p.numel() for p in head.parameters())} \
        if isinstance(head, nn.Module) else {}
    return Complexity(params=params, macs=macs, macs_by_module=by_module,
                      training_only_params=training_only, head_params=heads)


def _generator_complexity(network: nn.Module, latent_shape: Sequence[int]) -> Complexity:
    """Trainable parameters and MACs of one forward of a latent generator's network."""
    device = next(network.parameters()).device
    x = torch.zeros((1, *latent_shape), device=device)
    t = torch.zeros(1, device=device)
    labels = torch.zeros(1, dtype=torch.long, device=device)
    params = sum(p.numel() for p in network.parameters() if p.requires_grad)
    macs, by_module = _count_macs(network, lambda: network(x, t, labels))
    fixed = network.fixed_position_count(latent_shape) \
        if hasattr(network, 'fixed_position_count') else 0
    return Complexity(params=params, macs=macs, macs_by_module=by_module, fixed_params=fixed)
