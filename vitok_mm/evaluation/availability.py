"""Which configured metrics can run here: their pretrained weights must be on disk."""
from typing import Dict, List, Sequence, Tuple, Union

from vitok_mm.utils.weights import find_weights

#: metric type -> (weights file, config key naming its path, what it is)
WEIGHTS_OF = {
    'LPIPSMetric': ('vgg16-397923af.pth', 'vgg_weights', 'LPIPS VGG16 trunk'),
    'FIDMetric': ('weights-inception-2015-12-05-6726825d.pth', 'inception_weights',
                  'rFID/rIS InceptionV3'),
    'FVDMetric': ('i3d_torchscript.pt', 'i3d_weights', 'rFVD Kinetics-400 I3D'),
}


def split_available(metrics: Union[dict, Sequence[dict]]) -> Tuple[List[dict], Dict[str, str]]:
    """Metric configs whose weights are present, and ``{type: why skipped}`` for the rest."""
    metrics = [metrics] if isinstance(metrics, dict) else list(metrics)
    kept, skipped = [], {}
    for cfg in metrics:
        needs = WEIGHTS_OF.get(cfg.get('type'))
        if needs is None:
            kept.append(cfg)
            continue
        filename, key, what = needs
        try:
            find_weights(filename, cfg.get(key), what=what, config_key=key)
            kept.append(cfg)
        except (FileNotFoundError, ValueError) as error:
            skipped[cfg['type']] = str(error)
    return kept, skipped
