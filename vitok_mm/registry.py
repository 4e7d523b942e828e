"""Registries of vitok_mm, children of MMEngine's.

Every component is registered into one of these with a decorator
(``@MODELS.register_module()``). A config with ``default_scope = 'vitok_mm'``
then builds it by type name; ``locations`` makes the registry import the
package that defines a type the first time a build asks for it.

A plugin package registers its own components into the same registries and is
pulled into a run with ``custom_imports = dict(imports=['my_pkg'])``.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'STRATEGIES', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'TASK_UTILS', 'METRICS',
    'EVALUATOR', 'VISUALIZERS', 'VISBACKENDS', 'FUNCTIONS', 'DIFFUSION_SCHEDULERS',
]

# Runtime: runners, loops, hooks, logging.
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, locations=['vitok_mm.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMENGINE_RUNNER_CONSTRUCTORS, locations=['vitok_mm.engine'])
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES, locations=['vitok_mm.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['vitok_mm.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['vitok_mm.engine'])
LOG_PROCESSORS = Registry(
    'log processor', parent=MMENGINE_LOG_PROCESSORS, locations=['vitok_mm.engine'])

# Optimisation.
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, locations=['vitok_mm.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, locations=['vitok_mm.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['vitok_mm.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, locations=['vitok_mm.engine'])

# Data.
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['vitok_mm.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, locations=['vitok_mm.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, locations=['vitok_mm.datasets'])

# Models.
MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['vitok_mm.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, locations=['vitok_mm.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, locations=['vitok_mm.models'])
TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS, locations=['vitok_mm.models'])
# Diffusion processes (noise schedules, training targets) and the solvers that integrate
# them, as mmagic's DIFFUSION_SCHEDULERS: a registry of their own, so that "sampler" stays
# the word for data samplers. Not a child of MODELS: under the default scope 'vitok_mm' a
# build then looks here, not in MODELS, which does not see a child's entries.
DIFFUSION_SCHEDULERS = Registry(
    'diffusion scheduler', scope='vitok_mm', locations=['vitok_mm.models.diffusion'])

# Evaluation and visualisation.
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['vitok_mm.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, locations=['vitok_mm.evaluation'])
VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS, locations=['vitok_mm.visualization'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMENGINE_VISBACKENDS, locations=['vitok_mm.visualization'])

FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, locations=['vitok_mm.engine'])
