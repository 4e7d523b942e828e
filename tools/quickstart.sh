#!/usr/bin/env bash
# The README's main command: set up the environment, then train and evaluate a small
# ViTok on real photos that ship inside installed packages (CPU, about 6 minutes).
#   bash tools/quickstart.sh [tools/quickstart.py args...]
source "$(dirname "${BASH_SOURCE[0]}")/setup_venv.sh"
exec "$PYTHON" tools/quickstart.py "$@"
