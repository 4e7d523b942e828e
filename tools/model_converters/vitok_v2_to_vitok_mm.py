"""Convert released ViTok-v2 weights into vitok_mm weights, by hand (an air-gapped machine;
with a network, ``Tokenizer.from_pretrained('vitok-v2-350m-f16x16')`` downloads and
converts by itself).

    python tools/model_converters/vitok_v2_to_vitok_mm.py ENCODER DECODER \
        --variant 350M-f16x16 --out checkpoints/vitok_v2/350m-f16x16.safetensors

ENCODER and DECODER are a release's ``encoder.safetensors`` and ``decoder.safetensors``
(or a folder holding both for ENCODER, DECODER left out); ``--variant`` a release name
(``350M-f16x16`` ... ``5B-f32x256``) or a v2 variant (``Ld4-Ld24/1x16x16``). Every key
and shape is checked; the checkpoint loads strictly into ``configs/vitok_v2/<release>.py``
(see ``vitok_mm/apis/convert_vitok_v2.py`` for the renaming and the permutations).
A ``.safetensors`` output is written one tensor at a time (a 5B release converts in the
memory of its largest tensor); a ``.pth`` output is an MMEngine-style checkpoint.
"""
import argparse
import os.path as osp

import torch

from vitok_mm.apis.convert_vitok_v2 import convert_v2
from vitok_mm.cli import add_debug_argument, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('encoder', help='encoder.safetensors, or the folder of both files')
    parser.add_argument('decoder', nargs='?', help='decoder.safetensors')
    parser.add_argument('--variant', required=True,
                        help='release name (350M-f16x16, ...) or v2 variant (Ld4-Ld24/1x16x16)')
    parser.add_argument('--out', required=True,
                        help='the weights to write (.safetensors, or a .pth checkpoint)')
    parser.add_argument('--dtype', choices=('fp32', 'bf16'), default='fp32',
                        help='of the written weights (default fp32)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    encoder, decoder = args.encoder, args.decoder
    if decoder is None:
        if not osp.isdir(encoder):
            raise ValueError(f'give ENCODER and DECODER files, or a folder holding '
                             f'encoder.safetensors and decoder.safetensors; got {encoder}.')
        encoder, decoder = (osp.join(args.encoder, f'{part}.safetensors')
                            for part in ('encoder', 'decoder'))
    meta = convert_v2(encoder, decoder, args.variant, args.out,
                      torch.bfloat16 if args.dtype == 'bf16' else torch.float32)
    print(f'ViTok-v2 {meta["variant"]}: {meta["params"] / 1e6:.1f} M parameters '
          f'({meta["dtype"]}) -> {args.out}')
    return 0


if __name__ == '__main__':
    run_tool(main)
