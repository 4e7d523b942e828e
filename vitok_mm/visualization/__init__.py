"""Drawing reconstructions: comparison grids and GIFs (originals, reconstructions, error
heat maps) and rows of images. ``ReconstructionVisualizationHook`` (engine/hooks) sends the
grids to MMEngine's Visualizer, which vitok_mm uses as it is: the VISUALIZERS and
VISBACKENDS registries, whose ``locations`` name this package, find it through their parents."""
from .comparison import (
           comparison_grid,
           flattest_window,
           heat_map,
           image_rows,
           latent_preview,
           save_comparison_gif,
           save_image_rows,
           zoomed_crops,
)

__all__ = ['comparison_grid', 'flattest_window', 'heat_map', 'image_rows', 'latent_preview',
           'save_comparison_gif', 'save_image_rows', 'zoomed_crops']
