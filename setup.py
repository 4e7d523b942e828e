"""The build's one hook: the wheel carries configs/ inside the package, as
``vitok_mm/.mim/configs`` (OpenMMLab's layout), so that model names, ``vitok-mm list``
and ``_base_`` inheritance work from an installed package outside any clone. An
editable install reads the clone's configs/ instead. Everything else is in setup.cfg.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPyWithConfigs(build_py):
    """build_py, plus a copy of configs/ into the built package."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        target = os.path.join(self.build_lib, 'vitok_mm', '.mim', 'configs')
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(os.path.join(HERE, 'configs'), target,
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


setup(cmdclass={'build_py': BuildPyWithConfigs})
