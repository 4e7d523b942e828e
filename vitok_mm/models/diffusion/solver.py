"""What every solver shares (its step count, the process it integrates), and
:func:`build_solver`."""
import inspect
import sys
from numbers import Integral
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.utils import ProgressBar

from vitok_mm.registry import DIFFUSION_SCHEDULERS

#: Lower-case name -> registered solver type, for :func:`build_solver`.
SOLVER_NAMES = {'ddpm': 'DDPM', 'ddim': 'DDIM', 'euler': 'Euler', 'heun': 'Heun',
                'eulermaruyama': 'EulerMaruyama', 'sde': 'EulerMaruyama'}


Generators = Union[None, torch.Generator, Sequence[torch.Generator]]


def standard_normal(like: torch.Tensor, generator: Generators = None) -> torch.Tensor:
    """Noise shaped like ``like`` (float32 on its device), drawn with ``generator``; with
    one generator per row (a sequence of ``N``), row ``i`` comes from ``generator[i]``
    alone, so a sample's noise does not depend on the batch it is in. Generators live on
    the CPU; the noise is moved to ``like``'s device."""
    if isinstance(generator, (list, tuple)):
        if len(generator) != like.shape[0]:
            raise ValueError(f'{len(generator)} generators for a batch of {like.shape[0]}.')
        rows = [torch.randn(like.shape[1:], generator=g, device=g.device) for g in generator]
        return torch.stack(rows).to(like.device, torch.float32)
    device = generator.device if generator is not None else like.device
    return torch.randn(like.shape, generator=generator, device=device).to(like.device,
                                                                         torch.float32)


class Solver:
    """Base of the solvers: draws ``x0`` from a process given a ``model_fn``.

    Subclasses set ``process_type`` and implement :meth:`sample`:
    ``sample(process, model_fn, noise (N, C, *grid), generator=None, progress=False)
    -> x0``, float32 like ``noise``; ``generator`` may be one per sample
    (:func:`standard_normal`). ``model_fn(x, model_time) -> (N, output_channels(C),
    *grid)``; its output is cast to float32, so the state stays float32 under autocast.
    """

    process_type: type = object

    def __init__(self, num_steps: int):
        if isinstance(num_steps, bool) or not isinstance(num_steps, Integral) or num_steps < 1:
            raise ValueError(
                f'num_steps of {type(self).__name__} must be an int >= 1, got {num_steps!r}.')
        self.num_steps = int(num_steps)

    @property
    def num_function_evaluations(self) -> int:
        """Calls to ``model_fn`` per :meth:`sample` (one per step unless overridden)."""
        return self.num_steps

    def check_process(self, process) -> None:
        if isinstance(process, self.process_type):
            return
        fits = sorted(cls.__name__ for cls in _subclasses(Solver) if cls.__name__ in
                      SOLVER_NAMES.values() and isinstance(process, cls.process_type))
        raise ValueError(
            f'{type(self).__name__} integrates a {self.process_type.__name__}, got a '
            f'{type(process).__name__}; use one of {fits} with a {type(process).__name__}, '
            f'or {type(self).__name__} with a {self.process_type.__name__}.')

    @staticmethod
    def steps(items: Iterable, progress: bool) -> Iterator:
        """``items``, with a progress bar over them when ``progress``."""
        items = list(items)
        # The stream of now (mmengine's default is the one at its import).
        bar = ProgressBar(len(items), file=sys.stdout) if progress else None
        for item in items:
            yield item
            if bar is not None:
                bar.update()

    def sample(self, process, model_fn, noise: torch.Tensor,
               generator: Generators = None,
               progress: bool = False) -> torch.Tensor:
        raise NotImplementedError

    def config(self) -> dict:
        """``dict(type=..., num_steps=..., **options)``: what :func:`build_solver` builds
        this solver back from (the ``__init__`` arguments, read from the attributes of
        the same names)."""
        names, _ = _init_options(type(self))
        return dict(type=type(self).__name__,
                    **{n: getattr(self, n) for n in names if hasattr(self, n)})

    def __repr__(self) -> str:
        options = ', '.join(f'{k}={v!r}' for k, v in self.config().items() if k != 'type')
        return f'{type(self).__name__}({options})'


def _init_options(cls: type) -> Tuple[List[str], bool]:
    """The options ``cls.__init__`` takes by name, and whether it also takes ``**kwargs``."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return names, any(p.kind == p.VAR_KEYWORD for p in params)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def build_solver(cfg_or_name: Union[str, dict], num_steps: Optional[int] = None) -> Solver:
    """A solver from a name (``'ddpm'``, ``'ddim'``, ``'euler'``, ``'heun'``,
    ``'eulermaruyama'`` or ``'sde'``, any case) or
    a config ``dict(type=..., **options)``; ``num_steps`` overrides the config's. A built
    solver passes through (rebuilt with ``num_steps`` when that is given)."""
    if isinstance(cfg_or_name, Solver):
        if num_steps is None:
            return cfg_or_name
        cfg_or_name = cfg_or_name.config()
    cfg = dict(type=cfg_or_name) if isinstance(cfg_or_name, str) else dict(cfg_or_name)
    name = cfg.get('type')
    if not isinstance(name, str) or name.lower() not in SOLVER_NAMES:
        raise ValueError(f'unknown solver {name!r}; choose one of '
                         f'{sorted(SOLVER_NAMES)} (any case).')
    cfg['type'] = SOLVER_NAMES[name.lower()]
    if num_steps is not None:
        cfg['num_steps'] = num_steps
    # get(), not build(): under the default scope 'vitok_mm' a build looks in MODELS,
    # which does not see the entries of its child DIFFUSION_SCHEDULERS.
    cls = DIFFUSION_SCHEDULERS.get(cfg.pop('type'))
    names, any_option = _init_options(cls)
    if not any_option:
        unknown = sorted(set(cfg) - set(names))
        if unknown:
            # The usual cause: a config that inherits another solver's options (a _base_
            # with EulerMaruyama's diffusion_norm, overridden with type='Euler').
            raise ValueError(
                f'{cls.__name__} takes no option {", ".join(map(repr, unknown))} (its options: '
                f'{names}). If a _base_ config sets another '
                f'solver, replace it whole: solver=dict(_delete_=True, type='
                f'{cls.__name__!r}, ...).')
    return cls(**cfg)
