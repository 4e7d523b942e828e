"""Visualizers and vis backends registered by vitok_mm (none of its own yet: the
reconstruction grids go through MMEngine's Visualizer, reachable by name through the
VISUALIZERS / VISBACKENDS registries' parents; see engine/hooks/visualization_hook.py)."""
