"""Pretrained feature networks shared by losses and metrics, and the table of their weights.

LPIPS's VGG16 trunk serves the perceptual loss and the LPIPS metric; InceptionV3 serves
rFID/rIS; the Kinetics-400 I3D serves rFVD. Losses (``vitok_mm.models``) and metrics
(``vitok_mm.evaluation``) both build them from here, so neither imports the other.
Each file is looked up in a configured path or the torch hub cache, downloaded there from
its canonical URL on first use (:data:`WEIGHT_FILES` names both) and checked against its
SHA-256 prefix (or, with no published digest, its content).
"""
from .i3d import I3DFeatures, InceptionI3d, build_i3d
from .inception import build_inception
from .lpips import build_lpips, lpips_trunk_state_dict
from .weights import (
                      I3D_TORCHSCRIPT_FILE,
                      INCEPTION_FILE,
                      VGG16_FILE,
                      WEIGHT_FILES,
                      WeightFile,
                      find_weight_file,
)

__all__ = ['I3DFeatures', 'InceptionI3d', 'build_i3d', 'build_inception', 'build_lpips',
           'lpips_trunk_state_dict', 'I3D_TORCHSCRIPT_FILE', 'INCEPTION_FILE', 'VGG16_FILE',
           'WEIGHT_FILES', 'WeightFile', 'find_weight_file']
