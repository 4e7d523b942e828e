#!/usr/bin/env bash
# The README's main command: set up the environment and run ViTok on bundled photos.
#   bash tools/quickstart.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup_venv.sh"
photo="$("$PYTHON" -c 'import os, skimage; print(os.path.join(os.path.dirname(skimage.__file__), "data", "astronaut.png"))')"
"$PYTHON" tools/analysis_tools/get_flops.py configs/vitok/s-b_16_256p.py
"$PYTHON" tools/reconstruct.py configs/quickstart/vitok_tiny_64p.py "$photo" \
    --out work_dirs/quickstart/reconstructions.png
