"""Diffusion processes and flow objectives (noise schedules, training targets) and the
solvers that sample from them, for the generators in ``models/generators/``.

Empty for now. Processes and solvers are plain modules built from configs; they get a
registry of their own (as mmagic's ``DIFFUSION_SCHEDULERS``) declared in
``vitok_mm/registry.py`` when the first one lands, so that "sampler" keeps meaning a data
sampler (``DATA_SAMPLERS``).
"""
