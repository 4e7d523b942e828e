#!/usr/bin/env bash
# The test suite, as CI runs it: lint, the user guide's strict build, then pytest on the CPU.
#   bash tools/run_tests.sh [pytest args...]
source "$(dirname "${BASH_SOURCE[0]}")/setup_venv.sh"
echo "[tests] ruff check"
"$PYTHON" -m ruff check .
echo "[tests] mkdocs build --strict (the user guide: broken links and references fail)"
NO_MKDOCS_2_WARNING=1 "$PYTHON" -m mkdocs build --strict --quiet -d "$(mktemp -d)/site"
echo "[tests] pytest"
exec "$PYTHON" -m pytest "$@"
