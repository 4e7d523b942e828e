"""Which configured metrics can run here: their pretrained weights must be on disk or
downloadable."""
from typing import Dict, List, Sequence, Tuple, Union

from vitok_mm.feature_networks import WEIGHT_FILES, find_weight_file
from vitok_mm.registry import METRICS
from vitok_mm.utils.download import DownloadError


def split_available(metrics: Union[dict, Sequence[dict]],
                    download: bool = True) -> Tuple[List[dict], Dict[str, str]]:
    """Metric configs whose weights are present (downloaded now when missing), and
    ``{type: why skipped}`` for the rest: downloads switched off or failing, a wrong file.

    A metric class names the feature network it needs in ``feature_network`` (a key of
    :data:`~vitok_mm.feature_networks.WEIGHT_FILES`); its config may point at the file
    with that network's option (``vgg_weights``, ``inception_weights``, ``i3d_weights``).
    ``download=False`` takes only files already on disk.
    """
    metrics = [metrics] if isinstance(metrics, dict) else list(metrics)
    kept, skipped = [], {}
    for cfg in metrics:
        metric_type = cfg.get('type')
        metric_class = METRICS.get(metric_type) if isinstance(metric_type, str) else metric_type
        network = getattr(metric_class, 'feature_network', None)
        if network is None:
            kept.append(cfg)
            continue
        try:
            find_weight_file(network, cfg.get(WEIGHT_FILES[network].config_key), download)
            kept.append(cfg)
        except (FileNotFoundError, ValueError, DownloadError) as error:
            skipped[getattr(metric_class, '__name__', str(metric_type))] = str(error)
    return kept, skipped
