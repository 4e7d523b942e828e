"""A progress bar with rate and ETA for training runs."""
import sys
import time

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from vitok_mm.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Draw ``[#####     ] 1200/3000 iters  8.1 it/s  elapsed 2:28  ETA 3:42  loss 0.061``
    for training, and the same for validation and test passes (in batches).

    On a terminal the bar is redrawn in place; otherwise (a log file, CI) a line is
    printed every ``log_every`` percent. Main process only.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self, width: int = 30, log_every: int = 10):
        self.width = width
        self.log_every = log_every
        self._start = {}
        self._last_percent = {}

    @staticmethod
    def _clock(seconds: float) -> str:
        minutes, seconds = divmod(int(seconds), 60)
        return f'{minutes}:{seconds:02d}'

    def _begin(self, phase: str, first: int = 0) -> None:
        self._start[phase] = (first, time.perf_counter())
        self._last_percent[phase] = -1

    def _draw(self, phase: str, done: int, total: int, unit: str, extra: str = '') -> None:
        if not is_main_process() or total <= 0:
            return
        first, start = self._start.get(phase, (0, time.perf_counter()))
        elapsed = time.perf_counter() - start
        rate = (done - first) / max(elapsed, 1e-9)
        eta = (total - done) / max(rate, 1e-9)
        filled = int(self.width * done / total)
        line = (f'{phase}[{"#" * filled}{" " * (self.width - filled)}] {done}/{total} {unit}  '
                f'{rate:.1f} {unit[:2]}/s  elapsed {self._clock(elapsed)}  '
                f'ETA {self._clock(eta)}{extra}')
        if sys.stdout.isatty():
            print(f'\r{line}', end='\n' if done == total else '', flush=True)
            return
        percent = 100 * done // total
        if (percent // self.log_every != self._last_percent[phase] // self.log_every
                or done == total):
            self._last_percent[phase] = percent
            print(line, flush=True)

    def before_train(self, runner) -> None:
        self._begin('', runner.iter)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        loss = (outputs or {}).get('loss')
        extra = f'  loss {float(torch.as_tensor(loss).detach()):.4f}' if loss is not None else ''
        self._draw('', runner.iter + 1, runner.max_iters, 'iters', extra)

    def before_val_epoch(self, runner) -> None:
        self._begin('val ')

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._draw('val ', batch_idx + 1, len(runner.val_dataloader), 'batches')

    def before_test_epoch(self, runner) -> None:
        self._begin('test ')

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._draw('test ', batch_idx + 1, len(runner.test_dataloader), 'batches')
