"""Training and sampling speed of a latent generator (``LatentDiffusion``), and its memory.

What ``tools/analysis_tools/benchmark_dit.py`` prints, per DiT size:

- training: one optimiser step (the model's loss on random latents and labels, backward,
  AdamW) of a batch, bf16 autocast or fp32; samples/s is the batch over the median step.
  MACs per trained sample are 3x one forward (the backward costs two), the usual
  estimate; the model FLOPs utilisation (MFU) is that rate over a peak.
- sampling: ``model.sample`` of a batch with a solver and guidance scale, without the
  tokenizer's decode; latents/s and the network evaluations (NFE) per sample.
- memory: the bytes of weights, gradients and AdamW state, and the training step's peak
  with them (CUDA: ``max_memory_allocated``; CPU: that state plus the step's rise of the
  resident set, see :mod:`vitok_mm.analysis.memory`).

Random latents stand in for a cache: the cost of a step does not depend on the values.
"""
import copy
import statistics
import time
from dataclasses import dataclass, field
from typing import List, Optional

import torch
from mmengine.config import Config
from torch import nn

from .complexity import build_on_meta, count_complexity
from .device import synchronize
from .memory import MIB, peak_memory

#: Optimiser state bytes per parameter: AdamW keeps two fp32 moments.
ADAMW_STATE_BYTES = 8


@dataclass
class GeneratorRun:
    """What was measured for one generator config."""
    name: str
    params: int
    forward_macs: int  # per sample, one network evaluation
    train_batch: int
    sample_batch: int
    nfe: int  # network evaluations per sample, guidance included
    train_seconds: List[float] = field(default_factory=list)
    sample_seconds: List[float] = field(default_factory=list)
    train_peak_bytes: int = 0
    state_bytes: int = 0  # weights + gradients + AdamW state

    def record(self, peak_gmacs: float) -> dict:
        """Every number, with rates; ``peak_gmacs``: the peak the MFU is taken against."""
        train = statistics.median(self.train_seconds)
        train_rate = self.train_batch / train
        record = dict(
            params=self.params, gmacs_forward=self.forward_macs / 1e9,
            train_batch=self.train_batch, train_seconds_per_step=train,
            train_samples_per_second=train_rate,
            train_gmacs_per_second=3 * self.forward_macs * train_rate / 1e9,
            train_peak_memory_mib=self.train_peak_bytes / MIB,
            state_mib=self.state_bytes / MIB, nfe=self.nfe, sample_batch=self.sample_batch)
        record['mfu'] = record['train_gmacs_per_second'] / peak_gmacs
        if self.sample_seconds:
            sample = statistics.median(self.sample_seconds)
            record.update(sample_seconds_per_batch=sample,
                          samples_per_second=self.sample_batch / sample)
        return record


def generator_config(cfg: Config, size: Optional[str] = None,
                     backend: Optional[str] = None) -> dict:
    """The config's model, at DiT ``size`` and with attention ``backend`` when given,
    without a latent cache (the benchmark needs none)."""
    model = copy.deepcopy(cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else cfg.model)
    generator = model['generator']
    if size is not None:
        generator.update(size=size, width=None, depth=None, num_heads=None)
    if backend is not None:
        block = dict(generator.get('block') or dict(type='AdaLNZeroBlock'))
        block['attn_backend'] = backend
        generator['block'] = block
    preprocessor = dict(model.get('data_preprocessor') or {})
    preprocessor.pop('cache', None)
    preprocessor.setdefault('num_channels', model['latent_shape'][0])
    model['data_preprocessor'] = preprocessor
    return model


def _labels(model: nn.Module, batch: int, device: torch.device) -> torch.Tensor:
    return torch.arange(batch, device=device) % model.num_classes


def benchmark_generator(name: str, model_cfg: dict, device: torch.device, dtype: str,
                        train_batch: int, sample_batch: int, warmup: int, iters: int,
                        solver=None, num_steps: Optional[int] = None, cfg_scale: float = 1.0,
                        sample_iters: int = 1) -> GeneratorRun:
    """Build ``model_cfg`` on ``device`` and measure it (see the module docstring).

    ``sample_iters`` 0 skips sampling (it is slow on a CPU: NFE forwards per batch).
    """
    from vitok_mm.models.builder import build_model
    from vitok_mm.models.generators.latent_diffusion import guided_nfe
    if warmup < 0 or iters < 1 or sample_iters < 0:
        raise ValueError(f'warmup must be >= 0, iters >= 1 and sample_iters >= 0, got '
                         f'{warmup}, {iters} and {sample_iters}.')
    meta = build_on_meta(model_cfg)
    complexity = count_complexity(meta, meta.latent_shape)
    del meta
    torch.manual_seed(0)
    model = build_model(model_cfg).to(device)
    chosen = model.choose_solver(solver, num_steps, final=True)
    run = GeneratorRun(name=name, params=complexity.params, forward_macs=complexity.macs,
                       train_batch=train_batch, sample_batch=sample_batch,
                       nfe=guided_nfe(chosen, cfg_scale))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.0)
    latents = torch.randn((train_batch, *model.latent_shape), device=device)
    samples = [dict(label=int(y)) for y in _labels(model, train_batch, device)]
    autocast = dict(device_type=device.type, dtype=torch.bfloat16, enabled=dtype == 'bf16')
    model.train()

    def step():
        optimizer.zero_grad(set_to_none=False)
        with torch.autocast(**autocast):
            loss = model.loss(latents, samples)['loss']
        loss.backward()
        optimizer.step()

    for _ in range(max(warmup, 1)):  # one step at least: AdamW allocates its state
        step()
    run.state_bytes = sum(p.numel() * p.element_size() * 2 for p in trainable) + \
        sum(p.numel() for p in trainable) * ADAMW_STATE_BYTES
    if device.type == 'cuda':
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        synchronize(device)
        run.train_peak_bytes = torch.cuda.max_memory_allocated(device)
    else:
        run.train_peak_bytes = peak_memory(step, device) + run.state_bytes
    for _ in range(iters):
        synchronize(device)
        start = time.perf_counter()
        step()
        synchronize(device)
        run.train_seconds.append(time.perf_counter() - start)
    optimizer.zero_grad(set_to_none=True)  # free gradients and state before sampling
    optimizer.state.clear()
    model.eval()
    labels = _labels(model, sample_batch, device)
    generator = torch.Generator().manual_seed(0)
    for index in range(sample_iters + (1 if sample_iters and warmup else 0)):
        synchronize(device)
        start = time.perf_counter()
        with torch.autocast(**autocast):
            model.sample(labels, generator=generator, solver=chosen, cfg_scale=cfg_scale,
                         normalized=True)
        synchronize(device)
        if index or not warmup:
            run.sample_seconds.append(time.perf_counter() - start)
    return run


__all__ = ['ADAMW_STATE_BYTES', 'GeneratorRun', 'benchmark_generator', 'generator_config']
