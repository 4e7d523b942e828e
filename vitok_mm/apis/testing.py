"""Testing a checkpoint on every test set a config names."""
import copy
from typing import Dict, List

from mmengine.config import Config

from vitok_mm.evaluation import split_available


def configure_test_sets(cfg: Config) -> List[str]:
    """Make ``cfg`` test on each of its ``test_sets`` through ``MultiTestLoop``.

    A config may list several ``test_sets`` (the paper configs: ImageNet val and COCO
    val2017), each ``dict(dataset=..., [evaluator=...], [other dataloader keys])``;
    otherwise its ``test_dataloader``/``test_evaluator`` form one set named ``test``.
    Metrics whose pretrained weights are missing are dropped; a set left with no metric
    is dropped; a set whose data is missing is skipped by the loop when it gets there.

    Returns:
        one note per metric or set dropped, with the reason.
    """
    notes = []
    sets: Dict[str, dict] = {}
    for name, spec in (cfg.get('test_sets') or dict(test=dict())).items():
        spec = copy.deepcopy(dict(spec))
        kept, skipped = split_available(spec.get('evaluator', cfg.test_evaluator))
        notes += [f'{name}: {metric} skipped: {why}' for metric, why in skipped.items()]
        if not kept:
            notes.append(f'{name}: skipped: none of its metrics can run here')
            continue
        sets[name] = dict(spec, evaluator=kept)
    cfg.test_cfg = dict(type='MultiTestLoop', sets=sets, skip_missing=True)
    return notes
