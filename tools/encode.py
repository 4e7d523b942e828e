"""Encode images or videos into .safetensors latents.

The same as `vitok-mm encode`, for a checkout without the console script.

    python tools/encode.py --help      # the same arguments as `vitok-mm encode --help`
"""
import sys

from vitok_mm.cli import main, run_tool

if __name__ == '__main__':
    run_tool(lambda: main(['encode'] + sys.argv[1:]))
