"""Dependencies point down: utils, feature_networks -> models -> evaluation / engine ->
analysis -> apis (the user's API) -> workflows (runs) -> cli (the command line).

Each package is imported alone in a fresh interpreter and must not pull in a layer above
it (or beside it: a metric never imports a model, a model never imports the engine).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ('utils', 'feature_networks', 'datasets', 'models', 'evaluation', 'engine',
          'visualization', 'analysis', 'apis', 'workflows', 'cli')

#: package -> the vitok_mm packages it must not import.
FORBIDDEN = {
    'utils': set(LAYERS) - {'utils'},
    'feature_networks': set(LAYERS) - {'utils', 'feature_networks'},
    'models': {'engine', 'evaluation', 'datasets', 'apis', 'analysis', 'visualization',
               'workflows', 'cli'},
    'evaluation': {'models', 'engine', 'apis', 'analysis', 'workflows', 'cli'},
    'engine': {'apis', 'analysis', 'evaluation', 'workflows', 'cli'},
    'datasets': {'models', 'engine', 'evaluation', 'apis', 'analysis', 'workflows', 'cli'},
    'analysis': {'apis', 'workflows', 'cli'},
    # What a user imports never pulls in the runs or the command line.
    'apis': {'workflows', 'cli'},
    'workflows': {'cli'},
}


def imported_packages(module: str) -> set:
    code = ('import json, sys, importlib; importlib.import_module(%r); '
            'print(json.dumps(sorted({m.split(".")[1] for m in sys.modules '
            'if m.startswith("vitok_mm.")})))' % module)
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize('package', sorted(FORBIDDEN))
def test_a_package_imports_nothing_above_it(package):
    leaked = imported_packages(f'vitok_mm.{package}') & FORBIDDEN[package]
    assert not leaked, f'vitok_mm.{package} imports vitok_mm.{sorted(leaked)}'
