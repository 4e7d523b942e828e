"""Decode .safetensors latents back into images or videos.

The same as `vitok-mm decode`, for a checkout without the console script.

    python tools/decode.py --help      # the same arguments as `vitok-mm decode --help`
"""
import sys

from vitok_mm.cli import main, run_tool

if __name__ == '__main__':
    run_tool(lambda: main(['decode'] + sys.argv[1:]))
