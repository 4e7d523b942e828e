"""No parameter name or shape of any config moved when the towers became pluggable.

tests/data/state_dict_keys.json maps each config (as of main at fd5588d) to its
model's state-dict ``{key: shape}``, recorded by building the model on the meta
device; every entry is rebuilt here with today's code and compared.
"""
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from vitok_mm.analysis import build_on_meta

REPO = Path(__file__).resolve().parents[2]
RECORDED = json.loads((REPO / 'tests' / 'data' / 'state_dict_keys.json').read_text())
#: Configs renamed since the recording (old path -> today's).
RENAMED = {'configs/_base_/models/vitok_s-b_16.py': 'configs/_base_/models/vitok_s-b.py'}


@pytest.mark.parametrize('config', sorted(RECORDED))
def test_state_dict_keys_and_shapes_are_unchanged(config):
    model = build_on_meta(Config.fromfile(REPO / RENAMED.get(config, config)).model)
    shapes = {key: list(value.shape) for key, value in model.state_dict().items()}
    recorded = RECORDED[config]
    assert sorted(set(recorded) - set(shapes)) == [], 'keys missing from today\'s model'
    assert sorted(set(shapes) - set(recorded)) == [], 'keys new in today\'s model'
    changed = {key: (recorded[key], shapes[key]) for key in recorded
               if recorded[key] != shapes[key]}
    assert changed == {}, 'shapes changed (recorded, today)'
