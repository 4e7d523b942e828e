"""The ``vitok-mm`` console script: reconstruct, encode, decode, list, save-pretrained,
export, sample, evaluate (``vitok-mm --help``)."""
import argparse
import os
import sys
from typing import Optional, Sequence

from .evaluate import add_evaluate_parser, run_evaluate
from .export import add_export_parser, run_export
from .sample import add_sample_parser, run_sample
from .tool import add_debug_argument, non_negative_int, positive_int, run_tool


def _add_tokenizer_arguments(parser: argparse.ArgumentParser, inputs_help: str,
                             resize: bool = True) -> None:
    """The arguments ``reconstruct``, ``encode`` and ``decode`` share: which tokenizer,
    where it runs, and how it takes large inputs."""
    parser.add_argument('config', help='a config file, a model name (vitok-mm list), a saved '
                        'folder or hf://ORG/REPO')
    parser.add_argument('checkpoint', nargs='?',
                        help="the weights (.pth or .safetensors; default: the model index's "
                        'for a name)')
    parser.add_argument('inputs', nargs='+', metavar='INPUT', help=inputs_help)
    parser.add_argument('--out', required=True, help='the output folder')
    parser.add_argument('--batch-size', type=positive_int, default=8,
                        help='inputs (or tiles) per forward pass')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--dtype', choices=('fp32', 'bf16'), default='fp32',
                        help='bf16: the weights in bf16 (half the memory), run under autocast')
    parser.add_argument('--tile-size', type=positive_int,
                        help='pixels: tile inputs with a longer side (overlapping tiles, '
                        'linear blending); bounds the memory of one pass')
    parser.add_argument('--tile-overlap', type=non_negative_int,
                        help='pixels neighbouring tiles share (default: a quarter tile)')
    parser.add_argument('--chunk-frames', type=positive_int,
                        help='video: frames per chunk for long clips (whole tubelets)')
    if resize:
        parser.add_argument('--pad-mode', choices=('reflect', 'zeros'),
                            help="padding to a multiple of the patch size, cropped back "
                            "(default: the config's, else reflect)")
        sizes = parser.add_mutually_exclusive_group()
        sizes.add_argument('--resize', type=positive_int, metavar='SHORT_SIDE',
                           help='resize each input to this short side (aspect ratio kept)')
        sizes.add_argument('--max-tokens', type=positive_int,
                           help='resize each input to the largest size whose grid holds at '
                           'most this many tokens (aspect ratio kept)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    add_debug_argument(parser)


def build_parser() -> argparse.ArgumentParser:
    """The ``vitok-mm`` command line."""
    parser = argparse.ArgumentParser(
        prog='vitok-mm', description='Use trained vitok_mm tokenizers and generators.')
    commands = parser.add_subparsers(dest='command', required=True)
    rec = commands.add_parser(
        'reconstruct', help='reconstruct images or videos (files or folders) into a folder, '
        'with PSNR/SSIM per file and a JSON summary')
    _add_tokenizer_arguments(rec, 'image or video files, or folders')
    rec.add_argument('--compare', action='store_true',
                     help='also write <name>.compare.png/.mkv: original left, reconstruction '
                     'right')
    enc = commands.add_parser(
        'encode', help='encode images or videos into one .safetensors latent each')
    _add_tokenizer_arguments(enc, 'image or video files, or folders')
    enc.add_argument('--sample', action='store_true',
                     help='a sample of the posterior instead of its mean')
    enc.add_argument('--seed', type=non_negative_int, default=0,
                     help='of --sample (each file is sampled with this seed)')
    dec = commands.add_parser(
        'decode', help='decode .safetensors latents (of this tokenizer) into images or videos')
    _add_tokenizer_arguments(dec, '.safetensors files or folders', resize=False)
    listing = commands.add_parser('list', help='names of the model index')
    listing.add_argument('pattern', nargs='?', help='only names containing this')
    add_debug_argument(listing)
    save = commands.add_parser(
        'save-pretrained', help='write a tokenizer as a folder (config.py, model.safetensors, '
        'vitok.json, README.md) that from_pretrained reads and the Hub can host')
    save.add_argument('config', help='a config file, a model name (vitok-mm list) or a '
                      'saved folder')
    save.add_argument('checkpoint', nargs='?',
                      help="the weights (default: the model index's for a name)")
    save.add_argument('--out', required=True, help='the folder to write')
    save.add_argument('--dtype', choices=('fp32', 'bf16'), default='fp32',
                      help='of the saved weights')
    add_debug_argument(save)
    add_export_parser(commands)
    add_sample_parser(commands)
    add_evaluate_parser(commands)
    return parser


def _is_checkpoint(path: str) -> bool:
    """Whether a positional argument is weights (an MMEngine checkpoint, or a safetensors
    file that is not a latent of ``vitok-mm encode``)."""
    if path.endswith(('.pth', '.pt', '.ckpt')):
        return True
    if not (path.endswith('.safetensors') and os.path.isfile(path)):
        return False
    from vitok_mm.utils.safetensors_io import safetensors_metadata

    from .latent_files import LATENT_FORMAT
    try:
        return safetensors_metadata(path).get('format') != LATENT_FORMAT
    except ValueError:
        return False


def _tokenizer(args):
    import torch

    from vitok_mm.apis.tokenizer import Tokenizer
    checkpoint = args.checkpoint
    if checkpoint is not None and not _is_checkpoint(checkpoint):
        # Two positionals before the inputs are ambiguous: a non-checkpoint is an input.
        args.inputs, checkpoint = [checkpoint] + args.inputs, None
    options = dict(batch_size=args.batch_size, tile_size=args.tile_size,
                   tile_overlap=args.tile_overlap, chunk_frames=args.chunk_frames)
    if hasattr(args, 'resize'):
        options.update(pad_mode=args.pad_mode, resize=args.resize, max_tokens=args.max_tokens)
    # Options left unset keep the config's tokenizer defaults (e.g. ViTok-v2's padding).
    options = {key: value for key, value in options.items() if value is not None}
    return Tokenizer.from_pretrained(args.config, checkpoint, args.device,
                                     torch.bfloat16 if args.dtype == 'bf16' else None,
                                     **options)


def _report(result, verb: str) -> int:
    """The failed inputs on stderr; exit code 1 when there are any."""
    for path, reason in result.failed.items():
        print(f'failed: {path}: {reason}', file=sys.stderr)
    if result.failed:
        print(f'error: {len(result.failed)} of {result.done + len(result.failed)} input(s) '
              f'failed (listed above); the others were {verb}.', file=sys.stderr)
        return 1
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``vitok-mm``: see ``vitok-mm --help``."""
    args = build_parser().parse_args(argv)
    if args.command == 'list':
        from vitok_mm.apis.model_index import list_models
        for name in list_models(args.pattern):
            print(name)
        return 0
    if args.command == 'export':
        return run_export(args)
    if args.command == 'sample':
        return run_sample(args)
    if args.command == 'evaluate':
        return run_evaluate(args)
    if args.command == 'save-pretrained':
        import torch

        from vitok_mm.apis.tokenizer import Tokenizer
        tokenizer = Tokenizer.from_pretrained(
            args.config, args.checkpoint,
            dtype=torch.bfloat16 if args.dtype == 'bf16' else None)
        info = tokenizer.save_pretrained(args.out)
        print(f'{args.out}: {info["parameters"] / 1e6:.1f} M parameters ({info["dtype"]}), '
              f'patch {info["patch_size"]}, {info["latent_channels"]} channels, '
              f'{info["tokens"]} tokens and E = {info["E"]} per {info["reference_input"]}; '
              f'fingerprint {info["fingerprint"][:16]}...')
        return 0
    from . import files
    tokenizer = _tokenizer(args)
    progress = not args.no_progress
    if args.command == 'encode':
        result = files.encode_files(tokenizer, args.inputs, args.out, source=args.config,
                                    sample=args.sample, seed=args.seed, progress=progress)
        print(f'{result.done} latent(s) in {args.out}; summary: {result.summary_path}')
        return _report(result, 'encoded')
    if args.command == 'decode':
        result = files.decode_files(tokenizer, args.inputs, args.out, progress=progress)
        print(f'{result.done} file(s) decoded into {args.out}')
        return _report(result, 'decoded')
    result = files.reconstruct_files(tokenizer, args.inputs, args.out, compare=args.compare,
                                     progress=progress)
    from vitok_mm.utils.table import format_table
    rows = [(path, f'{s["psnr"]:.2f}', f'{s["ssim"]:.4f}' if 'ssim' in s else '-')
            for path, s in result.scores.items()]
    if rows:
        print(format_table(('file', 'PSNR (dB)', 'SSIM'), rows))
        mean = [s['psnr'] for s in result.scores.values()]
        print(f'mean PSNR {sum(mean) / len(mean):.2f} dB over {len(rows)} file(s); '
              f'summary: {result.summary_path}')
    return _report(result, 'reconstructed')


def console_main() -> None:
    """The ``vitok-mm`` console script."""
    run_tool(main)


__all__ = ['build_parser', 'console_main', 'main']
