"""Generator and discriminator optimisers for stage 2, built from one config entry."""
from typing import Optional

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from torch import nn

from vitok_mm.registry import OPTIM_WRAPPER_CONSTRUCTORS
from vitok_mm.utils import unwrap

PARTS = ('generator', 'discriminator')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class GANOptimWrapperConstructor:
    """Builds ``OptimWrapperDict(generator=..., discriminator=...)`` for a model with a
    ``discriminator`` child (e.g. :class:`~vitok_mm.models.ViTokGAN`)::

        optim_wrapper = dict(
            constructor='GANOptimWrapperConstructor',
            generator=dict(type='GuardedOptimWrapper', dtype='bfloat16',
                           optimizer=dict(type='AdamW', lr=1e-4), clip_grad=...),
            discriminator=dict(type='GuardedOptimWrapper', dtype='bfloat16',
                               optimizer=dict(type='AdamW', lr=1e-5)))

    The generator's optimizer holds only the trainable (``requires_grad``) parameters
    outside the discriminator, so frozen parts are never touched, not even by weight
    decay; the discriminator's holds the discriminator's. Each entry may carry its own
    ``paramwise_cfg`` (MMEngine's ``DefaultOptimWrapperConstructor`` builds each).
    Schedulers go per part: ``param_scheduler = dict(generator=[...],
    discriminator=[...])``.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        if paramwise_cfg is not None:
            raise ValueError('GANOptimWrapperConstructor: put paramwise_cfg inside '
                             'optim_wrapper.generator / optim_wrapper.discriminator.')
        keys = set(optim_wrapper_cfg)
        if keys != set(PARTS):
            raise ValueError(f'GANOptimWrapperConstructor needs exactly the entries {PARTS} '
                             f'in optim_wrapper, got {sorted(keys)}.')
        self.cfgs = {part: dict(optim_wrapper_cfg[part]) for part in PARTS}

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        model = unwrap(model)
        if not isinstance(getattr(model, 'discriminator', None), nn.Module):
            raise ValueError(f'{type(model).__name__} has no discriminator; '
                             'GANOptimWrapperConstructor is for models like ViTokGAN.')
        generator = nn.Module()  # a view onto the trainable parts, same parameter names
        for name, child in model.named_children():
            child = unwrap(child)
            if name != 'discriminator' and any(p.requires_grad for p in child.parameters()):
                generator.add_module(name, child)
        if not any(True for _ in generator.parameters()):
            raise ValueError('the generator has no trainable parameter; check the model\'s '
                             '`trainable` prefixes.')
        wrappers = {}
        for part, module in (('generator', generator),
                             ('discriminator', unwrap(model.discriminator))):
            cfg = dict(self.cfgs[part])
            paramwise = cfg.pop('paramwise_cfg', None)
            cfg.setdefault('type', 'GuardedOptimWrapper')
            built = DefaultOptimWrapperConstructor(cfg, paramwise)(module)
            groups = built.optimizer.param_groups  # frozen ones: never in an optimizer
            for group in groups:
                group['params'] = [p for p in group['params'] if p.requires_grad]
            groups[:] = [group for group in groups if group['params']]
            if hasattr(built, 'grad_name'):  # logged apart: train/generator_grad_norm, ...
                built.grad_name = f'{part}_{built.grad_name}'
            wrappers[part] = built
        return OptimWrapperDict(**wrappers)
