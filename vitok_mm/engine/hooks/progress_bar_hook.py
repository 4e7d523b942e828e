"""A progress bar with rate and ETA for training runs."""
import sys
import time

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from vitok_mm.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Draw ``[#####     ] 1200/3000 iters  8.1 it/s  elapsed 2:28  ETA 3:42  loss 0.061``.

    On a terminal the bar is redrawn in place; otherwise (a log file, CI) a line is
    printed every ``log_every`` percent. Main process only.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self, width: int = 30, log_every: int = 10):
        self.width = width
        self.log_every = log_every
        self._start_iter = 0
        self._start_time = 0.0
        self._last_percent = -1

    def before_train(self, runner) -> None:
        self._start_iter = runner.iter
        self._start_time = time.perf_counter()

    @staticmethod
    def _clock(seconds: float) -> str:
        minutes, seconds = divmod(int(seconds), 60)
        return f'{minutes}:{seconds:02d}'

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not is_main_process():
            return
        done, total = runner.iter + 1, runner.max_iters
        elapsed = time.perf_counter() - self._start_time
        rate = (done - self._start_iter) / max(elapsed, 1e-9)
        eta = (total - done) / max(rate, 1e-9)
        filled = int(self.width * done / total)
        loss = (outputs or {}).get('loss')
        line = (f'[{"#" * filled}{" " * (self.width - filled)}] {done}/{total} iters  '
                f'{rate:.1f} it/s  elapsed {self._clock(elapsed)}  ETA {self._clock(eta)}'
                + (f'  loss {float(torch.as_tensor(loss).detach()):.4f}'
                   if loss is not None else ''))
        if sys.stdout.isatty():
            end = '\n' if done == total else ''
            print(f'\r{line}', end=end, flush=True)
            return
        percent = 100 * done // total
        if percent // self.log_every != self._last_percent // self.log_every or done == total:
            self._last_percent = percent
            print(line, flush=True)
