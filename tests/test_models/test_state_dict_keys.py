"""No parameter name or shape of any config moved when the towers became pluggable.

tests/data/state_dict_keys.json maps each config (as of main at fd5588d) to its
model's state-dict ``{key: shape}``, recorded by building the model on the meta
device; every entry is rebuilt here with today's code and compared.

Issue 23 changed the quick starts' pixel head on purpose (an overlapping head: each
token paints 10x10 pixels, so its projection is wider). Their recorded entries are
checked with only that projection's shape allowed to differ, and the recipe before it
lives on as ``vitok_tiny_64p_plain.py``, which must match the old record exactly.
"""
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from vitok_mm.analysis import build_on_meta

REPO = Path(__file__).resolve().parents[2]
RECORDED = json.loads((REPO / 'tests' / 'data' / 'state_dict_keys.json').read_text())
#: Configs renamed since the recording (old path -> today's).
RENAMED = {'configs/_base_/models/vitok_s-b_16.py': 'configs/_base_/models/vitok_s-b.py',
           'configs/quickstart/vitok_tiny_64p.py': 'configs/quickstart/vitok_tiny_64p_plain.py'}
#: Configs whose pixel head became an OverlapPixelHead (overlap 1) in issue 23.
OVERLAP_HEAD = {'configs/quickstart/vitok_tiny_64p_stage2.py',
                'configs/quickstart/vitok_tiny_video.py',
                'configs/quickstart/vitok_tiny_video_frames.py'}
HEAD_KEYS = ('decoder.pixel_head.proj.weight', 'decoder.pixel_head.proj.bias')


@pytest.mark.parametrize('config', sorted(RECORDED))
def test_state_dict_keys_and_shapes_are_unchanged(config):
    model = build_on_meta(Config.fromfile(REPO / RENAMED.get(config, config)).model)
    shapes = {key: list(value.shape) for key, value in model.state_dict().items()}
    recorded = RECORDED[config]
    assert sorted(set(recorded) - set(shapes)) == [], 'keys missing from today\'s model'
    assert sorted(set(shapes) - set(recorded)) == [], 'keys new in today\'s model'
    changed = {key: (recorded[key], shapes[key]) for key in recorded
               if recorded[key] != shapes[key]}
    if config in OVERLAP_HEAD:
        # (patch 8 + 2 x overlap 1)^2 pixels per frame of a tubelet instead of 8^2
        assert sorted(changed) == sorted(HEAD_KEYS)
        old, new = changed.pop(HEAD_KEYS[1])
        assert new[0] * 64 == old[0] * 100
        assert changed.pop(HEAD_KEYS[0])[1] == new + [recorded[HEAD_KEYS[0]][1]]
    assert changed == {}, 'shapes changed (recorded, today)'
