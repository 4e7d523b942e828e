"""Training and sampling a latent generator: normalised latents in, a diffusion or flow
objective, guided solvers out."""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from vitok_mm.registry import DIFFUSION_SCHEDULERS, MODELS

from ..diffusion import FlowMatching, build_solver, check_guidance, classifier_free_guidance
from ..diffusion.solver import SOLVER_NAMES

Labels = Union[torch.Tensor, Sequence[int]]
Generators = Union[None, torch.Generator, Sequence[torch.Generator]]


def sample_seed(seed: int, index: int) -> int:
    """The noise seed of sample ``index`` of a run seeded ``seed`` (independent of the
    batch size and of the number of processes)."""
    return (int(seed) * 1_000_003 + int(index)) % (2 ** 63 - 1)


@MODELS.register_module()
class LatentDiffusion(BaseModel):
    """A class-conditional generator of tokenizer latents.

    Args:
        generator: the network's config, e.g. ``dict(type='DiT', size='XL')``;
            ``in_channels`` and ``out_channels`` are filled in from ``latent_shape`` and
            the process.
        diffusion: the process, ``dict(type='GaussianDiffusion')`` (epsilon, learned
            variance, as DiT) or ``dict(type='FlowMatching')``.
        latent_shape: ``(c, h, w)`` or ``(c, t, h, w)`` of one latent.
        num_classes: classes of the conditioning labels.
        data_preprocessor: default ``dict(type='LatentPreprocessor')``; give it the cache
            (its statistics become buffers of every checkpoint).
        solver: the solver :meth:`predict` uses (validation): a config or a name
            (``'ddpm'``, ``'ddim'``, ``'euler'``, ``'heun'``); default DDPM-250 for
            Gaussian diffusion, Heun-50 for flow.
        cfg_scale, guidance_interval: the guidance :meth:`predict` uses.
        val_seed: noise of the validation sample for dataset index ``i`` is seeded by
            ``sample_seed(val_seed, i)``, so validation compares like with like.

    Shapes: ``inputs (N, c, [t,] h, w)`` raw latents (normalised by the preprocessor);
    :meth:`sample` returns ``(N, c, [t,] h, w)``.
    """

    def __init__(self, generator: dict, diffusion: dict, latent_shape: Sequence[int],
                 num_classes: int, data_preprocessor: Optional[dict] = None,
                 solver: Union[None, str, dict] = None, cfg_scale: float = 1.0,
                 guidance_interval: Optional[Sequence[float]] = None, val_seed: int = 0,
                 init_cfg: Optional[dict] = None):
        latent_shape = tuple(int(s) for s in latent_shape)
        if len(latent_shape) not in (3, 4) or min(latent_shape) < 1:
            raise ValueError(f'latent_shape must be (c, h, w) or (c, t, h, w), got {latent_shape}.')
        if data_preprocessor is None:
            data_preprocessor = dict(type='LatentPreprocessor', num_channels=latent_shape[0])
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        channels = int(data_preprocessor.mean.numel())
        if not getattr(data_preprocessor, 'scalar', False) and channels != latent_shape[0]:
            raise ValueError(
                f'latent_shape {latent_shape} has {latent_shape[0]} channels but the latent '
                f'statistics have {channels}: the model config and the cache are for '
                'different tokenizers.')
        self._check_cache_shape(data_preprocessor, latent_shape)
        self.latent_shape = latent_shape
        self.num_classes = num_classes
        self.diffusion = DIFFUSION_SCHEDULERS.build(diffusion) \
            if isinstance(diffusion, dict) else diffusion
        generator = dict(generator)
        generator.setdefault('in_channels', latent_shape[0])
        generator.setdefault('out_channels', self.diffusion.output_channels(latent_shape[0]))
        generator.setdefault('num_classes', num_classes)
        generator.setdefault('num_axes', len(latent_shape) - 1)
        self.generator = MODELS.build(generator)
        self.generator.grid_of((1, ) + latent_shape)  # a grid the patch does not divide: now
        check_guidance(cfg_scale, guidance_interval)
        self.solver = self._solver(solver)
        self.cfg_scale = cfg_scale
        self.guidance_interval = guidance_interval
        self.val_seed = val_seed

    @staticmethod
    def _check_cache_shape(preprocessor: nn.Module, latent_shape: Tuple[int, ...]) -> None:
        cache = getattr(preprocessor, 'cache', None)
        if cache is None or getattr(preprocessor, '_cache_fingerprint', None) is None:
            return
        from vitok_mm.utils.latent_cache import read_manifest
        cached = tuple(read_manifest(cache)['latent_shape'])
        if cached != latent_shape:
            raise ValueError(
                f'the model is configured for latents {latent_shape} but the cache {cache} '
                f'holds {cached}: set latent_shape={cached} (and the matching tokenizer).')

    def _solver(self, solver: Union[None, str, dict]):
        if solver is None:
            solver = 'heun' if isinstance(self.diffusion, FlowMatching) else 'ddpm'
        return build_solver(solver)

    def choose_solver(self, solver: Union[None, str, dict] = None,
                      num_steps: Optional[int] = None, final: bool = False):
        """The solver to sample with: ``solver`` (config, name or built) with
        ``num_steps``; what is not given comes from the default.

        A name of the default's type (``'sde'`` for a model that samples with
        ``EulerMaruyama``) keeps the default's options. The default is the model's own
        (``self.solver``, what validation uses) or, with
        ``final`` (sampling for evaluation, ``tools/sample_dit.py``), the paper's
        protocol: DDPM-250 for Gaussian diffusion (validation configs use a faster
        DDIM-50) and the model's ODE solver for flow.
        """
        default = self.solver
        if final and not isinstance(self.diffusion, FlowMatching):
            default = build_solver('ddpm')
        if isinstance(solver, str) and SOLVER_NAMES.get(solver.lower()) == type(default).__name__:
            solver = None  # the default's own type: keep its options (eta, diffusion_norm)
        if solver is None and num_steps is None:
            return default
        return build_solver(solver or default.config(), num_steps)

    # ------------------------------------------------------------------ training
    def _labels(self, data_samples, batch: int, device) -> torch.Tensor:
        if data_samples is None:
            raise ValueError('LatentDiffusion needs labelled data samples (a LatentDataset).')
        labels = torch.as_tensor([int(s.label) if hasattr(s, 'label') else int(s['label'])
                                  for s in data_samples], device=device)
        if labels.numel() != batch:
            raise ValueError(f'{labels.numel()} labels for a batch of {batch} latents.')
        return labels

    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        """Mean training loss of a batch, plus its terms for the log (``mse``, ``vb``)."""
        labels = self._labels(data_samples, inputs.shape[0], inputs.device)
        terms = self.diffusion.training_losses(
            lambda x, t: self.generator(x, t, labels), inputs.float())
        out = dict(loss=terms['loss'].mean())
        for name, value in terms.items():
            if name != 'loss':
                out[name] = value.mean().detach()
        return out

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            labels = self._labels(data_samples, inputs.shape[0], inputs.device)
            t = torch.zeros(inputs.shape[0], device=inputs.device)
            return self.generator(inputs, self.diffusion.model_time(t), labels)
        raise ValueError(f"Invalid mode {mode!r}; use 'loss', 'predict' or 'tensor'.")

    # ------------------------------------------------------------------ sampling
    def check_labels(self, labels: Labels) -> torch.Tensor:
        labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
        bad = (labels < 0) | (labels >= self.num_classes)
        if bad.any():
            raise ValueError(
                f'class id {int(labels[bad][0])} is out of range: the model has '
                f'{self.num_classes} classes (0..{self.num_classes - 1}).')
        return labels

    @torch.no_grad()
    def sample(self, labels: Labels, noise: Optional[torch.Tensor] = None,
               generator: Generators = None, solver: Union[None, str, dict] = None,
               cfg_scale: float = 1.0, guidance_interval: Optional[Sequence[float]] = None,
               num_steps: Optional[int] = None, normalized: bool = False,
               progress: bool = False) -> torch.Tensor:
        """Latents of the given classes.

        Args:
            labels: ``(N,)`` class ids.
            noise: the starting noise ``(N, *latent_shape)``; default drawn with
                ``generator``.
            generator: a ``torch.Generator``, or one per sample (then sample ``i``
                depends on its own generator only, also through DDPM's added noise).
            solver: config or name; default the model's (``self.solver``).
            cfg_scale: classifier-free guidance scale (1: the conditional model, one pass).
            guidance_interval: ``(lo, hi)`` noise levels in [0, 1] where guidance applies.
            num_steps: overrides the solver's steps.
            normalized: return the generator's normalised latents instead of what the
                tokenizer decodes.

        Returns: ``(N, *latent_shape)`` float32.
        """
        check_guidance(cfg_scale, guidance_interval)
        device = self.data_preprocessor.mean.device
        labels = self.check_labels(labels).to(device)
        shape = (labels.numel(), ) + self.latent_shape
        if noise is None:
            noise = self.initial_noise(shape[0], generator)
        if tuple(noise.shape) != shape:
            raise ValueError(f'noise of shape {tuple(noise.shape)} for {shape[0]} latents of '
                             f'shape {self.latent_shape}.')
        noise = noise.to(device=device, dtype=torch.float32)
        solver = self.choose_solver(solver, num_steps)
        null = torch.full_like(labels, self.generator.label_embed.null_label)
        model_fn = classifier_free_guidance(
            self.generator, labels, null, cfg_scale, channels=self.latent_shape[0],
            interval=guidance_interval, noise_level=self.diffusion.noise_level)
        latents = solver.sample(self.diffusion, model_fn, noise, generator=generator,
                                progress=progress)
        latents = latents.float()
        return latents if normalized else self.data_preprocessor.denormalize(latents)

    def initial_noise(self, n: int, generator: Generators = None) -> torch.Tensor:
        """The noise :meth:`sample` starts ``n`` latents from (CPU, float32): drawn with
        ``generator``, or with ``generator[i]`` alone for latent ``i``."""
        if isinstance(generator, (list, tuple)):
            return torch.stack([torch.randn(self.latent_shape, generator=g) for g in generator])
        return torch.randn((n, ) + self.latent_shape, generator=generator)

    def solver_config(self) -> dict:
        """The config of the model's own solver."""
        return self.solver.config()

    def predict(self, inputs: torch.Tensor, data_samples=None) -> List[dict]:
        """One generated latent per batch element, of its class, with its real latent
        (both normalised), for the latent metrics (``LatentFrechetMetric``,
        ``LatentProbeMetric``)."""
        labels = self._labels(data_samples, inputs.shape[0], inputs.device)
        indices = [int(getattr(s, 'sample_idx', i)) for i, s in enumerate(data_samples)]
        generators = [torch.Generator().manual_seed(sample_seed(self.val_seed, i))
                      for i in indices]
        fake = self.sample(labels, generator=generators, cfg_scale=self.cfg_scale,
                           guidance_interval=self.guidance_interval, normalized=True)
        return [dict(latents=f.cpu(), real_latents=r.float().cpu(), gt_label=int(y),
                     sample_idx=i) for f, r, y, i in zip(fake, inputs, labels, indices)]


def guided_nfe(solver, cfg_scale: float) -> int:
    """Network evaluations of one sample: the solver's NFE, doubled by guidance."""
    return solver.num_function_evaluations * (1 if math.isclose(cfg_scale, 1.0) else 2)
