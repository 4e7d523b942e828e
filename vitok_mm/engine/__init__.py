"""Runtime pieces: hooks, loops, optimiser wrappers (filled by the training issues)."""
