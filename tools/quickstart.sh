#!/usr/bin/env bash
# The README's main command: set up the environment, then train and evaluate a small
# ViTok on real data that ships inside installed packages (CPU).
#   bash tools/quickstart.sh [tools/quickstart.py args...]          # images, 8-12 minutes
#   bash tools/quickstart.sh video [tools/quickstart_video.py args...]   # video, ~5 minutes
#   bash tools/quickstart.sh dit [tools/quickstart_dit.py args...]       # a DiT on the
#       image quick start's latents (run the image quick start first)
source "$(dirname "${BASH_SOURCE[0]}")/setup_venv.sh"
if [ "${1:-}" = "dit" ]; then
    shift
    exec "$PYTHON" tools/quickstart_dit.py "$@"
fi
if [ "${1:-}" = "video" ]; then
    shift
    exec "$PYTHON" tools/quickstart_video.py "$@"
fi
exec "$PYTHON" tools/quickstart.py "$@"
