"""The InceptionV3 of FID/IS (torch-fidelity's port of the TF 2015-12-05 graph)."""
from typing import Optional

from torch import nn

from .weights import find_weight_file


def build_inception(weights: Optional[str] = None) -> nn.Module:
    """torch-fidelity's ``FeatureExtractorInceptionV3`` giving ``('2048', 'logits_unbiased')``.

    The weights come from ``weights`` (a file, its folder or a URL) or the torch hub
    cache, downloaded from torch-fidelity's release on first use; a file named with its
    hash is checked against it.
    Input: uint8 ``(N, 3, H, W)``; it resizes to 299 the way the TF graph does.
    """
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    path = find_weight_file('inception', weights)
    return FeatureExtractorInceptionV3(
        'inception-v3-compat', ['2048', 'logits_unbiased'],
        feature_extractor_weights_path=path).eval()
