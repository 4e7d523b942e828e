"""An iteration-based training loop that resumes without replaying the data."""
import logging

from mmengine.dist import get_world_size
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator

from vitok_mm.registry import LOOPS


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` where one iteration is one optimizer step, and whose resume
    jumps the sampler to the right draw.

    - With ``optim_wrapper.accumulative_counts = k`` each iteration trains on ``k``
      batches and steps once, so ``max_iters``, schedules, validation and checkpoint
      intervals count optimizer steps (MMEngine counts batches), and a recipe's
      numbers stay the same whether its global batch comes from GPUs or accumulation.
    - MMEngine resumes by loading and discarding every batch already trained on (slow,
      and it moves the random streams). When the sampler has ``set_start`` (as
      :class:`~vitok_mm.datasets.ResumableInfiniteSampler` does), this loop sets it to
      ``iteration x batch x processes x accumulation`` and starts a fresh data
      iterator instead.
    """

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
