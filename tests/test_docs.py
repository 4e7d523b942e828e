"""The documentation's commands exist as written: every `python tools/....py` and
`vitok-mm <command>` in the README and the guide (code blocks and inline code) names a
tool that exists, and every --flag it shows is one that tool's --help lists. A renamed
or removed flag fails here, not in a user's terminal."""
import functools
import glob
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = ['README.md'] + sorted(str(Path(p).relative_to(REPO))
                               for p in glob.glob(str(REPO / 'docs' / '*.md')))
COMMAND = re.compile(r'(?:python\s+(tools/[\w/]+\.py)|vitok-mm\s+([a-z][\w-]*))(.*)')
#: What may precede a command on its line: a prompt, environment settings.
PREFIX = re.compile(r'^(?:\$\s+)?(?:[A-Z_][A-Z0-9_]*=\S*\s+)*')
FLAG = re.compile(r'(?<![\w-])--[a-z][\w-]*')


def snippets(text: str):
    """Code blocks (lines joined across backslash continuations) and inline code spans."""
    for block in re.findall(r'```[a-z]*\n(.*?)```', text, flags=re.S):
        yield from block.replace('\\\n', ' ').splitlines()
    without_blocks = re.sub(r'```.*?```', '', text, flags=re.S)
    yield from re.findall(r'`([^`\n]+)`', without_blocks)


def documented_commands():
    """``{(page, command): {flags}}`` for every tool or vitok-mm command the docs show."""
    found = {}
    for page in PAGES:
        for line in snippets((REPO / page).read_text()):
            line = line.split(' #')[0].strip()
            # A command starts its line (prose and file listings mention the tools too).
            match = COMMAND.match(line[PREFIX.match(line).end():])
            if match:
                command = match.group(1) or f'vitok-mm {match.group(2)}'
                rest = re.split(r'\s(?:&&|\||;)\s', match.group(3))[0]  # up to a second one
                found.setdefault((page, command), set()).update(FLAG.findall(rest))
    return found


@functools.lru_cache(maxsize=None)
def help_text(command: str) -> str:
    if command.startswith('vitok-mm '):
        argv = [str(Path(sys.executable).parent / 'vitok-mm'), command.split()[1], '--help']
    else:
        argv = [sys.executable, str(REPO / command), '--help']
    done = subprocess.run(argv, capture_output=True, text=True, cwd=str(REPO), timeout=300)
    assert done.returncode == 0, f'{" ".join(argv)} failed:\n{done.stderr[-2000:]}'
    return done.stdout


DOCUMENTED = documented_commands()


def test_the_docs_show_the_main_commands():
    commands = {command for _, command in DOCUMENTED}
    assert {'tools/train.py', 'vitok-mm reconstruct', 'vitok-mm evaluate',
            'vitok-mm sample'} <= commands, sorted(commands)


@pytest.mark.parametrize('page, command', sorted(DOCUMENTED))
def test_every_documented_flag_exists(page, command):
    if not command.startswith('vitok-mm '):
        assert (REPO / command).is_file(), f'{page} shows {command}, which does not exist'
    text = help_text(command)
    missing = sorted(flag for flag in DOCUMENTED[(page, command)]
                     if not re.search(rf'(?<![\w-]){re.escape(flag)}(?![\w-])', text))
    assert not missing, f'{page} shows `{command}` with {missing}, which its --help lacks'


# ---------------------------------------------------------------- the Python examples

#: What a Python example of the docs may be marked (an HTML comment on the line before it).
MARKS = ('runs', 'config', 'needs network', 'needs data', 'needs the quick start')
EXAMPLE = re.compile(r'(?:<!-- example: ([^>]*?) -->\n)?```python\n(.*?)```', flags=re.S)


def python_examples():
    """``[(page:line, mark or None, code)]`` for every Python block of the docs."""
    found = []
    for page in PAGES:
        text = (REPO / page).read_text()
        for match in EXAMPLE.finditer(text):
            line = text[:match.start()].count('\n') + 1
            found.append((f'{page}:{line}', match.group(1), match.group(2)))
    return found


EXAMPLES = python_examples()


def test_every_python_example_runs_here_or_says_what_it_needs():
    assert len(EXAMPLES) >= 10
    unmarked = [where for where, mark, _ in EXAMPLES if mark not in MARKS]
    assert not unmarked, (f'mark these examples with <!-- example: one of {MARKS} --> on the '
                          f'line before: {unmarked}')


@pytest.mark.parametrize('where, mark, code', EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_python_examples(where, mark, code, tmp_path):
    """``runs``: executed as written, in a fresh interpreter in an empty folder (random
    weights; nothing downloaded). The others must at least be valid Python (a config is a
    Python file too); the Generator example that 'needs the quick start' also runs, on the
    micro generator, in tests/test_apis/test_generator.py."""
    compile(code, where, 'exec')
    if mark != 'runs':
        return
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          cwd=str(tmp_path), timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(REPO), VITOK_MM_OFFLINE='1'))
    assert done.returncode == 0, f'the example at {where} failed:\n{done.stderr[-3000:]}'
