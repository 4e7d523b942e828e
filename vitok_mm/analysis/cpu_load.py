"""How much of the machine's CPU time other processes took while we measured.

On a shared machine they stall every multi-threaded operator until all its threads are
scheduled, so a model of many small operators (a ViT) slows down far more than one of
few large ones (the SD-VAE's convolutions): timings taken meanwhile are unreliable.
"""
import os
from typing import Optional, Tuple

#: CPU seconds so far: busy on the whole machine, used by this process, in total.
CpuSeconds = Tuple[float, float, float]


def cpu_seconds() -> Optional[CpuSeconds]:
    """CPU seconds so far: busy on the whole machine, used by this process, and in total.

    None where ``/proc/stat`` cannot be read (not Linux).
    """
    try:
        with open('/proc/stat') as stat:
            ticks = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal; guest time is inside user time.
    idle = ticks[3] + ticks[4]
    tick = os.sysconf('SC_CLK_TCK')
    own = os.times()
    return (sum(ticks) - idle) / tick, own.user + own.system, sum(ticks) / tick


def other_process_share(start: Optional[CpuSeconds],
                        end: Optional[CpuSeconds]) -> Optional[float]:
    """Share in [0, 1] of the machine's CPU time between two :func:`cpu_seconds` readings
    that other processes were busy; None when a reading is missing or no time passed."""
    if start is None or end is None or end[2] <= start[2]:
        return None
    others = (end[0] - start[0]) - (end[1] - start[1])
    return min(1.0, max(0.0, others / (end[2] - start[2])))


__all__ = ['CpuSeconds', 'cpu_seconds', 'other_process_share']
