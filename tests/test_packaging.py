"""vitok_mm as installed software: the wheel built from this checkout, installed into a
throwaway virtualenv and run outside the clone, carries its configs (model names,
``vitok-mm list`` and ``_base_`` inheritance resolve from the installed copy), and the
package declares dependency ranges, not pins."""
import configparser
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns('.git', '.venv', 'work_dirs', 'data', 'build', 'dist',
                              '*.egg-info', '__pycache__', '.pytest_cache', '.ruff_cache',
                              'checkpoints')


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """``(python, vitok-mm, working folder)`` of a fresh virtualenv holding only the wheel
    (its dependencies are those of the test environment, reached through a path entry:
    not the clone, which is neither on the path nor the working folder)."""
    root = tmp_path_factory.mktemp('wheel')
    source = root / 'source'
    shutil.copytree(REPO, source, ignore=SKIP)  # the build writes build/ beside its source
    built = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q',
         '-w', str(root / 'dist'), str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel, = (root / 'dist').glob('vitok_mm-*.whl')
    env = root / 'venv'
    venv.create(env, with_pip=True)
    python = env / 'bin' / 'python'
    site = subprocess.run([str(python), '-c', 'import sysconfig; print(sysconfig.get_paths()'
                           '["purelib"])'], capture_output=True, text=True, check=True)
    dependencies = {sysconfig.get_paths()['purelib'], sysconfig.get_paths()['platlib']}
    Path(site.stdout.strip(), 'test_dependencies.pth').write_text('\n'.join(dependencies))
    done = subprocess.run([str(python), '-m', 'pip', 'install', '--no-deps', '--no-index', '-q',
                           str(wheel)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    work = root / 'elsewhere'
    work.mkdir()
    return python, env / 'bin' / 'vitok-mm', work


def run(command, cwd):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


def test_the_installed_wheel_lists_the_models_outside_the_clone(installed):
    python, console, work = installed
    where = run([python, '-c', 'import vitok_mm, sys; print(vitok_mm.__file__)'], work)
    assert where.returncode == 0, where.stderr
    assert str(work.parent / 'venv') in where.stdout and str(REPO) not in where.stdout
    listed = run([console, 'list'], work)
    assert listed.returncode == 0, listed.stderr
    names = listed.stdout.split()
    assert {'vitok-s-b_16_256p', 'vitok-v2-350m-f16x16', 'vitok-tiny-64p'} <= set(names)
    clone = run([Path(sys.executable).parent / 'vitok-mm', 'list'], REPO)
    assert clone.returncode == 0 and clone.stdout.split() == names  # the same index


def test_the_installed_wheel_builds_a_config_with_base_inheritance(installed):
    """A name resolves to the installed copy of its config, whose ``_base_`` files come
    from the installed copy too; the paper's S-B/16 builds (on the meta device) with the
    paper's parameter count, and a repository-style config path works as well."""
    python, _, work = installed
    script = (
        'import vitok_mm.apis.model_index as mi\n'
        'from mmengine.config import Config\n'
        'from vitok_mm.analysis import build_on_meta\n'
        'from vitok_mm.apis.inference import load_inference_config\n'
        "entry = mi.find_model('vitok-s-b_16_256p')\n"
        'print(entry.config)\n'
        'cfg = Config.fromfile(entry.config)\n'
        'model = build_on_meta(cfg.model)\n'
        'print(sum(p.numel() for p in model.parameters()))\n'
        "again = load_inference_config('configs/vitok/s-b_16_256p.py')\n"
        'print(again.filename == entry.config)\n'
        "print(entry.weights)\n")
    done = run([python, '-c', script], work)
    assert done.returncode == 0, done.stderr[-3000:]
    config, params, same, weights = done.stdout.split()
    assert config.startswith(str(work.parent / 'venv')) and '/.mim/configs/vitok/' in config
    assert abs(int(params) - 129.0e6) < 0.5e6  # the paper's S-B/16: 129.0 M
    assert same == 'True'
    # Weights a training run writes are looked for relative to the working folder.
    assert weights == 'work_dirs/s-b_16_256p/iter_100000.pth'


def test_torch_is_a_range_and_the_tested_pair_is_a_constraint():
    setup = configparser.ConfigParser()
    setup.read(REPO / 'setup.cfg')
    requires = [line.split('#')[0].strip() for line in
                setup['options']['install_requires'].splitlines()]
    torch_req = next(r for r in requires if r.startswith('torch') and 'vision' not in r
                     and 'fidelity' not in r)
    vision_req = next(r for r in requires if r.startswith('torchvision'))
    for requirement in (torch_req, vision_req):
        assert '==' not in requirement and '>=' in requirement, requirement
    pins = dict(line.split('==') for line in (REPO / 'constraints.txt').read_text().split('\n')
                if '==' in line and not line.startswith('#'))
    assert pins['torch'] == '2.14.1' and pins['torchvision'] == '0.29.1'
    # The constraints file is what the setup command and CI install with.
    assert 'constraints.txt' in (REPO / 'tools' / 'setup_venv.sh').read_text()
    assert 'huggingface_hub' in ' '.join(requires)
    assert osp.isfile(REPO / 'MANIFEST.in')
