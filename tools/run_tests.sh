#!/usr/bin/env bash
# The test suite, as CI runs it: lint, then pytest on the CPU.
#   bash tools/run_tests.sh [pytest args...]
source "$(dirname "${BASH_SOURCE[0]}")/setup_venv.sh"
echo "[tests] ruff check"
"$PYTHON" -m ruff check .
echo "[tests] pytest"
exec "$PYTHON" -m pytest "$@"
