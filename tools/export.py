"""Export a tokenizer's encoder and decoder to ONNX or TorchScript.

The same as `vitok-mm export`, for a checkout without the console script.

    python tools/export.py --help      # the same arguments as `vitok-mm export --help`
"""
import sys

from vitok_mm.cli import main, run_tool

if __name__ == '__main__':
    run_tool(lambda: main(['export'] + sys.argv[1:]))
