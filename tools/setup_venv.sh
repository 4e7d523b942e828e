# Source this file: creates (or reuses) the project's virtualenv and installs vitok_mm into it.
#   VITOK_VENV    where the virtualenv lives (default: <repo>/.venv)
#   VITOK_PYTHON  the interpreter to create it with (default: python3.11, else python3)
#   VITOK_EXTRAS  pip extras to install (default: tests)
# Installs with constraints.txt (the tested torch pair). Reinstalls only when setup.cfg,
# pyproject.toml, setup.py or constraints.txt changed or the checkout moved, so a second
# run starts in seconds.
set -eo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VITOK_VENV="${VITOK_VENV:-$REPO_ROOT/.venv}"
VITOK_EXTRAS="${VITOK_EXTRAS:-tests}"
if [ -z "${VITOK_PYTHON:-}" ]; then
    VITOK_PYTHON="$(command -v python3.11 || command -v python3)"
fi

if [ ! -x "$VITOK_VENV/bin/python" ]; then
    echo "[setup] creating virtualenv $VITOK_VENV with $("$VITOK_PYTHON" --version)"
    "$VITOK_PYTHON" -m venv "$VITOK_VENV"
fi
stamp="$VITOK_VENV/.vitok_mm-install"
want="$REPO_ROOT [$VITOK_EXTRAS] $(cat "$REPO_ROOT/setup.cfg" "$REPO_ROOT/pyproject.toml" "$REPO_ROOT/setup.py" "$REPO_ROOT/constraints.txt" | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "[setup] installing vitok_mm[$VITOK_EXTRAS] into $VITOK_VENV (first run: a few minutes)"
    "$VITOK_VENV/bin/python" -m pip install --quiet --upgrade pip
    # setup.cfg declares ranges; constraints.txt pins the tested torch pair.
    "$VITOK_VENV/bin/python" -m pip install --quiet -c "$REPO_ROOT/constraints.txt" \
        -e "$REPO_ROOT[$VITOK_EXTRAS]"
    echo "$want" > "$stamp"
fi
export PATH="$VITOK_VENV/bin:$PATH"
PYTHON="$VITOK_VENV/bin/python"
cd "$REPO_ROOT"
