"""Peak memory of loading a released ViTok-v2 tokenizer from the Hub and reconstructing one
image: does a 5B release fit a 24 GB machine in bf16?

    python tools/analysis_tools/benchmark_load.py --release 5B-f16x16 --dtype bf16 \
        --source-dtype fp32 --work-dir work_dirs/benchmark_load

Random weights in the release's layout (names, shapes, two safetensors files of
``--source-dtype``) are written into ``--work-dir`` (kept for reruns) and served by a
loopback Hugging Face Hub (the tests' server, tests/loopback.py). Two fresh processes
then each run ``Tokenizer.from_pretrained('vitok-v2-<release>', dtype=...)`` and
reconstruct a 256x256 crop of a bundled photo: the first downloads, verifies and converts
(the caches are in ``--work-dir``), the second loads from the caches, as every later run
does. Each reports its peak resident set (``VmHWM``, the whole process, the import of
torch included) against the bytes of the loaded weights. Disk: the source files, their
copy in the Hugging Face cache and the converted file (about 50 GB for a 5B release in
fp32 on disk). Run from the repository root.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # the tests' loopback server stands in for the Hub

from tests.loopback import LoopbackServer  # noqa: E402
from vitok_mm.analysis.loading import GIB, measure_load, write_random_release  # noqa: E402
from vitok_mm.cli import add_debug_argument, run_tool  # noqa: E402
from vitok_mm.models.vitok_v2 import RELEASE_FILES, V2_RELEASES  # noqa: E402
from vitok_mm.utils.table import format_table  # noqa: E402

DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--release', default='5B-f16x16', choices=list(V2_RELEASES))
    parser.add_argument('--dtype', choices=list(DTYPES), default='bf16',
                        help='what from_pretrained builds the model in (default bf16)')
    parser.add_argument('--source-dtype', choices=list(DTYPES), default='fp32',
                        help='of the random release files (default fp32)')
    parser.add_argument('--size', type=int, default=256, help='side of the image (pixels)')
    parser.add_argument('--work-dir', default='work_dirs/benchmark_load')
    parser.add_argument('--fresh', action='store_true',
                        help='delete the caches (not the release files) before starting')
    parser.add_argument('--json', help='also write the figures here')
    parser.add_argument('--measure', action='store_true', help=argparse.SUPPRESS)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def measure_here(args) -> int:
    """The child: load, reconstruct, print the figures as one JSON line."""
    from vitok_mm.apis import Tokenizer
    from vitok_mm.datasets.transforms import LoadImage
    from vitok_mm.workflows.samples import bundled_photos
    photo = LoadImage().transform(dict(img_path=next(iter(bundled_photos().values()))))['img']
    pixels = torch.from_numpy(photo[:args.size, :args.size].copy()).permute(2, 0, 1)
    pixels = pixels.float() / 127.5 - 1
    name = f'vitok-v2-{args.release.lower()}'
    figures = measure_load(lambda: Tokenizer.from_pretrained(name, dtype=DTYPES[args.dtype]),
                           pixels)
    print(json.dumps(figures))
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.measure:
        return measure_here(args)
    work = Path(args.work_dir).resolve()
    if args.fresh:
        for cache in ('hf', 'vitok'):
            shutil.rmtree(work / cache, ignore_errors=True)
    repo_id = V2_RELEASES[args.release][0]
    folder = work / f'release-{args.release}-{args.source_dtype}'
    print(f'writing random {args.release} weights ({args.source_dtype}) into {folder} ...',
          flush=True)
    files = write_random_release(args.release, str(folder), DTYPES[args.source_dtype])
    source_bytes = sum(os.path.getsize(f) for f in files)
    rows, results = [], []
    with LoopbackServer(lifetime=24 * 3600) as server:
        for path, name in zip(files, RELEASE_FILES):
            server.add_repo_file(repo_id, name, Path(path))
        env = dict(os.environ, HF_ENDPOINT=server.url, HF_HUB_CACHE=str(work / 'hf'),
                   VITOK_MM_HOME=str(work / 'vitok'), HF_HUB_DISABLE_PROGRESS_BARS='1',
                   NO_PROXY='127.0.0.1', no_proxy='127.0.0.1')
        env.pop('VITOK_MM_OFFLINE', None)
        env.pop('HF_HUB_OFFLINE', None)
        for run in ('first call (download, verify, convert, load)', 'second call (cached)'):
            print(f'{run} ...', flush=True)
            done = subprocess.run(
                [sys.executable, __file__, '--measure', '--release', args.release,
                 '--dtype', args.dtype, '--size', str(args.size)],
                env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise ValueError(f'the measuring process failed:\n{done.stderr[-3000:]}')
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            figures['run'] = run
            results.append(figures)
            weights = figures['weight_bytes']
            rows.append((run, f'{figures["load_seconds"]:.1f}',
                         f'{figures["reconstruct_seconds"]:.1f}', f'{weights / GIB:.2f}',
                         f'{figures["rss_before"] / GIB:.2f}',
                         f'{figures["peak_rss"] / GIB:.2f}',
                         f'{figures["peak_rss"] / weights:.2f}'))
    print(f'\nViTok-v2 {args.release} ({results[0]["parameters"] / 1e9:.3f} B parameters) in '
          f'{args.dtype}, from random {args.source_dtype} release files '
          f'({source_bytes / GIB:.1f} GiB), one {args.size}x{args.size} reconstruction; '
          f'{torch.get_num_threads()} threads:')
    print(format_table(('run', 'load s', 'reconstruct s', 'weights GiB', 'RSS before load GiB',
                        'peak RSS GiB', 'peak RSS / weights'), rows))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == '__main__':
    run_tool(main)
