"""Parameters and GFLOPs (multiply-accumulates) of a tokenizer config, as the paper counts them.

    python tools/analysis_tools/get_flops.py configs/vitok/s-b_16_256p.py
    python tools/analysis_tools/get_flops.py configs/vitok/s-b_16_256p.py --shape 512 512
    python tools/analysis_tools/get_flops.py configs/vitok_video/s-b_4x8_128p_16f.py \
        --shape 16 128 128
    python tools/analysis_tools/get_flops.py configs/dit/dit-xl_s-b_16_256p.py   # a generator
    python tools/analysis_tools/get_flops.py configs/dit/dit-xl_s-b_16_256p.py --shape 32 32

For a generator (DiT) the count is one forward of the network on one latent (the
config's ``latent_shape``; ``--shape`` gives the latent grid h w, or t h w), and the
parameters are the trainable ones, with DiT's fixed sin-cos position table listed apart.

The model is built on the meta device (no memory, no weights), so even L-sized
models count in a second.
"""
import argparse

from mmengine.config import DictAction

from vitok_mm.analysis import build_on_meta, count_complexity, input_shape_of
from vitok_mm.apis import load_inference_config
from vitok_mm.cli import add_debug_argument, run_tool
from vitok_mm.utils.table import format_rows


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file with a `model`')
    parser.add_argument(
        '--shape', type=int, nargs='+',
        help='input size: H W for images, T H W for video (default: the config\'s input_shape)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.decoder.depth=24')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_inference_config(args.config, args.cfg_options)
    model = build_on_meta(cfg.model)
    generator = hasattr(model, 'generator') and hasattr(model, 'latent_shape')
    if generator:
        shape = tuple(model.latent_shape)
        if args.shape:
            if len(args.shape) != len(shape) - 1 or min(args.shape) < 1:
                raise ValueError(f'--shape takes the latent grid ({len(shape) - 1} '
                                 f'positive sizes) for this generator; got {args.shape}.')
            shape = (shape[0], *args.shape)
    else:
        shape = input_shape_of(cfg, args.shape)
    result = count_complexity(model, shape)
    info = model.latent_info(shape) if hasattr(model, 'latent_info') else None

    what = 'latent shape' if generator else 'input shape'
    rows = [('config', args.config), (what, 'x'.join(map(str, shape)))]
    if info is not None:
        rows.append(('latent', f'{info.tokens} tokens x {info.channels} channels '
                               f'(grid {"x".join(map(str, info.grid))}), E = {info.E}'))
    if generator:
        rows.append(('params', f'{result.params / 1e6:.2f} M trainable'))
        if result.fixed_params:
            rows.append(('  + fixed positions', f'{result.fixed_params / 1e6:.2f} M (sin-cos, '
                         f'= {(result.params + result.fixed_params) / 1e6:.2f} M as DiT '
                         'counts)'))
    else:
        rows.append(('params', f'{result.params / 1e6:.1f} M'))
        for name, count in (result.head_params or {}).items():
            rows.append(('  pixel head', f'{count / 1e3:.1f} k ({name})'))
    if result.training_only_params:
        rows.append(('  + discriminator', f'{result.training_only_params / 1e6:.1f} M '
                                          '(training only)'))
    rows.append(('GFLOPs (MACs)' + (' per forward' if generator else ''),
                 f'{result.gflops:.1f}'))
    for name, macs in result.macs_by_module.items():
        rows.append((f'  {name}', f'{macs / 1e9:.2f}'))
    print(format_rows(rows))
    return 0


if __name__ == '__main__':
    run_tool(main)
