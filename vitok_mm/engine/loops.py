"""Loops: iteration-based training that counts optimizer steps and resumes without
replaying the data, and testing on several sets in one run."""
import copy
import logging
from typing import Dict, Optional, Union

from mmengine.dist import get_world_size
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmengine.runner import BaseLoop, IterBasedTrainLoop, TestLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator

from vitok_mm.registry import LOOPS


def accumulation_of(optim_wrapper: Union[OptimWrapper, dict, None]) -> int:
    """Batches per optimizer step of an optimizer wrapper, built or still a config."""
    if isinstance(optim_wrapper, OptimWrapper):
        return optim_wrapper._accumulative_counts
    if isinstance(optim_wrapper, dict):
        return int(optim_wrapper.get('accumulative_counts', 1))
    return 1  # an OptimWrapperDict (stage 2): GAN steps alternate every batch


def global_batch_size(cfg, world_size: int) -> int:
    """Samples per optimizer step: per-process batch x processes x accumulation."""
    return (cfg.train_dataloader['batch_size'] * world_size
            * accumulation_of(cfg.get('optim_wrapper')))


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` where one iteration is one optimizer step, and whose resume
    jumps the sampler to the right draw.

    - With ``optim_wrapper.accumulative_counts = k`` each iteration trains on ``k``
      batches and steps once, so ``max_iters``, schedules, validation and checkpoint
      intervals count optimizer steps (MMEngine counts batches), and a recipe's
      numbers stay the same whether its global batch comes from GPUs or accumulation.
    - ``auto_scale_lr`` counts accumulation too, so ``lr = base_lr x global batch /
      base_batch_size`` with global batch = per-process batch x processes x
      accumulation, whatever mix of GPUs and accumulation gives it. MMEngine's rule
      (``Runner.scale_lr``, or the strategy's under ``FlexibleRunner``) counts processes
      x per-process batch only; the loop is built before that rule runs and hands it a
      base batch divided by the accumulation, under any runner.
    - MMEngine resumes by loading and discarding every batch already trained on (slow,
      and it moves the random streams). When the sampler has ``set_start`` (as
      :class:`~vitok_mm.datasets.ResumableInfiniteSampler` does), this loop sets it to
      ``iteration x batch x processes x accumulation`` and starts a fresh data
      iterator instead.
    """

    def __init__(self, runner, *args, **kwargs):
        super().__init__(runner, *args, **kwargs)
        self._count_accumulation_in_lr_scaling()

    def _count_accumulation_in_lr_scaling(self) -> None:
        accumulation = accumulation_of(self.runner.optim_wrapper)
        if accumulation == 1:
            return
        # Runner keeps the rule's config in `auto_scale_lr`; FlexibleRunner in
        # `_auto_scale_lr`, shared with its strategy, which applies it.
        holders = [self.runner, getattr(self.runner, 'strategy', None)]
        replaced = {}
        for holder in holders:
            for name in ('auto_scale_lr', '_auto_scale_lr'):
                scaling = getattr(holder, name, None) if holder is not None else None
                if not isinstance(scaling, dict) or not scaling.get('enable', False):
                    continue
                if id(scaling) not in replaced:
                    replaced[id(scaling)] = dict(
                        scaling, base_batch_size=scaling['base_batch_size'] / accumulation)
                setattr(holder, name, replaced[id(scaling)])
        if replaced:
            base = next(iter(replaced.values()))['base_batch_size'] * accumulation
            print_log(f'auto_scale_lr: one step trains on {accumulation} accumulated batches, '
                      f'so the LR rule sees base batch {base:g} / {accumulation}: lr = base lr '
                      f'x (batch x processes x {accumulation}) / {base:g}.', logger='current')

    @property
    def accumulation(self) -> int:
        return getattr(self.runner.optim_wrapper, '_accumulative_counts', 1)

    def _skip_to_current_iteration(self) -> None:
        sampler = getattr(self.dataloader, 'sampler', None)
        if not hasattr(sampler, 'set_start'):
            print_log(f'The sampler cannot jump; replaying {self._iter} batches.',
                      logger='current', level=logging.WARNING)
            for _ in range(self._iter * self.accumulation):
                next(self.dataloader_iterator)
            return
        position = (self._iter * self.dataloader.batch_size * get_world_size()
                    * self.accumulation)
        sampler.set_start(position)
        self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)
        print_log(f'Resumed data stream at draw {position} (iteration {self._iter}).',
                  logger='current')

    def run(self):
        """Launch training (MMEngine's loop, with the resume jump)."""
        if self._iter > 0:
            # Before the hooks: a new data iterator draws from torch's generator, and
            # RandomStateHook.before_train must restore the saved states after that.
            self._skip_to_current_iteration()
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self.accumulation > 1:  # the optimizer counts batches, we count steps
            self.runner.optim_wrapper.initialize_count_status(
                self.runner.model, self._iter * self.accumulation,
                self._max_iters * self.accumulation)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            self.run_iter(next(self.dataloader_iterator))
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model

    def run_iter(self, data_batch) -> None:
        """One optimizer step: ``accumulation`` forward/backward passes, then the update."""
        self.runner.call_hook('before_train_iter', batch_idx=self._iter, data_batch=data_batch)
        for index in range(self.accumulation):
            if index:
                data_batch = next(self.dataloader_iterator)
            outputs = self.runner.model.train_step(
                data_batch, optim_wrapper=self.runner.optim_wrapper)
        self.runner.call_hook('after_train_iter', batch_idx=self._iter, data_batch=data_batch,
                              outputs=outputs)
        self._iter += 1


@LOOPS.register_module()
class MultiTestLoop(BaseLoop):
    """Test on several sets in one run, each with its own evaluator (mmagic's pattern).

    ``test_cfg = dict(type='MultiTestLoop', sets=dict(imagenet_val=dict(dataset=...),
    coco_val2017=dict(dataset=..., evaluator=[...])))``: each set runs MMEngine's
    ``TestLoop`` with the runner's ``test_dataloader`` whose dataset (and any other key
    the set gives) is the set's, and the set's evaluator or the runner's
    ``test_evaluator``. The model and its loaded checkpoint are shared.

    Args:
        runner: the runner.
        dataloader: the default dataloader config (the runner's ``test_dataloader``).
        evaluator: the default evaluator (the runner's ``test_evaluator``).
        sets: ``{name: dict(dataset=..., evaluator=..., **dataloader keys)}``; ``None``:
            one set named ``'test'`` made of the defaults.
        skip_missing: a set whose data is missing (``FileNotFoundError`` while its
            dataset is built) is skipped, the reason kept in :attr:`skipped`; ``False``
            stops the run instead.
        fp16: as for ``TestLoop``.

    ``run()`` returns ``{'<set>/<metric>': value}``; :attr:`results` holds each set's
    metrics and ``num_samples``, :attr:`skipped` ``{set: reason}``.
    """

    def __init__(self, runner, dataloader: dict, evaluator, sets: Optional[Dict[str, dict]] = None,
                 skip_missing: bool = True, fp16: bool = False):
        self._runner = runner
        if not isinstance(dataloader, dict):
            raise ValueError('MultiTestLoop builds one dataloader per set from the '
                             f'test_dataloader config; got a built {type(dataloader).__name__}.')
        sets = dict(sets) if sets else dict(test=dict())
        for name, spec in sets.items():
            if not isinstance(spec, dict):
                raise ValueError(f'test set {name!r} must be a dict(dataset=..., '
                                 f'[evaluator=...]), got {spec!r}.')
        self.default_dataloader = dataloader
        self.default_evaluator = evaluator
        self.sets = sets
        self.skip_missing = skip_missing
        self.fp16 = fp16
        self.dataloader = None  # the current set's, for hooks that read runner.test_dataloader
        self.evaluator = None
        self.results: Dict[str, dict] = {}
        self.skipped: Dict[str, str] = {}

    def set_loop(self, name: str) -> TestLoop:
        """MMEngine's ``TestLoop`` over set ``name``."""
        spec = copy.deepcopy(self.sets[name])
        evaluator = spec.pop('evaluator', None) or self.default_evaluator
        # A plain dict's update: a set's dataset replaces the default one (ConfigDict's
        # update would merge the two).
        loader = dict(copy.deepcopy(self.default_dataloader))
        loader.update(spec)
        return TestLoop(self.runner, loader, evaluator, fp16=self.fp16)

    def run(self) -> dict:
        self.results, self.skipped, metrics = {}, {}, {}
        for name in self.sets:
            try:
                loop = self.set_loop(name)
            except FileNotFoundError as error:
                if not self.skip_missing:
                    raise
                self.skipped[name] = str(error)
                print_log(f'test set {name} skipped: {error}', logger='current',
                          level=logging.WARNING)
                continue
            self.dataloader, self.evaluator = loop.dataloader, loop.evaluator
            set_metrics = loop.run()
            self.results[name] = dict(set_metrics, num_samples=len(loop.dataloader.dataset))
            metrics.update({f'{name}/{key}': value for key, value in set_metrics.items()})
        return metrics
