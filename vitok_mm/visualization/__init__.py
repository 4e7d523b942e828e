"""Placeholder package filled by later issues; registries point here lazily."""
