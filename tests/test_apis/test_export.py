"""vitok_mm.workflows.export on the micro fixture (patch 4, traced at 16x16, batch 2) and a tiny
video tokenizer: each exported encoder and decoder equals the PyTorch model at sizes and
batch sizes it was not traced with, export.json says how to feed them, and bad requests
(unknown format, missing package, a size off the patch grid) are refused by name."""
import importlib.util
import json
import math
import re
import sys
import warnings

import pytest
import torch
from mmengine.config import Config

from tests.conftest import tiny_vitok_config
from tests.test_apis.test_inference import MICRO_CHECKPOINT, MICRO_CONFIG
from vitok_mm.apis import build_inference_model, load_inference_config
from vitok_mm.models.layers import Linear, Transformer, sincos_position_embedding
from vitok_mm.workflows.export import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    ExportCheckError,
    compare_outputs,
    export_copy,
    export_tokenizer,
)


def close(got: torch.Tensor, expected: torch.Tensor) -> None:
    torch.testing.assert_close(got, expected, atol=DEFAULT_ATOL, rtol=DEFAULT_RTOL)


@pytest.fixture(scope='module')
def micro():
    return build_inference_model(load_inference_config(MICRO_CONFIG), MICRO_CHECKPOINT)


#: The formats this machine can export and check; ONNX needs the export extras.
ONNX_MODULES = ('onnx', 'onnxscript', 'onnxruntime')
FORMATS_HERE = (('onnx', 'torchscript') if all(importlib.util.find_spec(m) for m in ONNX_MODULES)
                else ('torchscript', ))


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp('micro_export')
    return export_tokenizer(MICRO_CONFIG, MICRO_CHECKPOINT, str(out), formats=FORMATS_HERE)


def onnx_runner(path):
    for name in ONNX_MODULES:
        pytest.importorskip(name)
    import onnxruntime as ort
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    names = [i.name for i in session.get_inputs()]
    return lambda x: [torch.from_numpy(a) for a in session.run(None, {names[0]: x.numpy()})]


def torchscript_runner(path):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)  # torch.jit is deprecated, still works
        module = torch.jit.load(str(path))

    def run(x):
        with torch.no_grad():
            out = module(x)
        return list(out) if isinstance(out, tuple) else [out]
    return run


RUNNERS = dict(onnx=(onnx_runner, '.onnx'), torchscript=(torchscript_runner, '.pt'))


@pytest.mark.parametrize('fmt', ['onnx', 'torchscript'])
@pytest.mark.parametrize('batch, h, w', [(3, 24, 32), (1, 12, 40)])
def test_exported_graphs_equal_the_model_at_other_sizes_and_batches(
        exported, micro, fmt, batch, h, w):
    make_runner, suffix = RUNNERS[fmt]
    out = exported.out_dir
    encode, decode = (make_runner(f'{out}/{part}{suffix}') for part in ('encoder', 'decoder'))
    x = torch.rand(batch, 3, h, w) * 2 - 1
    with torch.no_grad():
        posterior = micro.encode(x)
        recon = micro.decode(posterior.mean)
    mean, logvar = encode(x)
    assert mean.shape == (batch, 4, h // 4, w // 4)
    close(mean, posterior.mean)
    close(logvar, posterior.logvar)
    close(decode(posterior.mean)[0], recon)


def test_the_report_lists_checked_files_and_export_json_describes_them(exported):
    assert [(g.format, g.part) for g in exported.graphs] == [
        (fmt, part) for fmt in FORMATS_HERE for part in ('encoder', 'decoder')]
    for graph in exported.graphs:
        assert graph.size_bytes > 0 and graph.max_abs_diff is not None
        assert graph.max_abs_diff <= DEFAULT_ATOL
    with open(exported.metadata_path) as f:
        meta = json.load(f)
    assert meta == exported.metadata
    assert (meta['patch_size'], meta['tubelet_size'], meta['latent_channels']) == (4, None, 4)
    assert meta['multiple_of'] == {'H': 4, 'W': 4}
    assert 'multiples: H of 4 and W of 4' in meta['size_constraint']
    assert meta['export_size'] == {'N': 2, 'H': 16, 'W': 16}
    assert meta['check']['size'] == {'N': 3, 'H': 24, 'W': 32}
    assert (meta['check']['atol'], meta['check']['rtol']) == (DEFAULT_ATOL, DEFAULT_RTOL)
    encoder, decoder = meta['encoder'], meta['decoder']
    assert encoder['inputs'][0]['shape'] == ['N', 3, 'H', 'W']
    assert [o['name'] for o in encoder['outputs']] == ['latent', 'logvar']
    assert encoder['outputs'][0]['shape'] == ['N', 4, 'h', 'w']
    assert decoder['inputs'][0]['name'] == 'latent'
    assert decoder['outputs'][0]['shape'] == ['N', 3, 'H', 'W']
    suffixes = dict(onnx='onnx', torchscript='pt')
    for fmt in FORMATS_HERE:
        entry = meta['formats'][fmt]
        assert entry['encoder']['file'] == f'encoder.{suffixes[fmt]}'
        assert entry['decoder']['max_abs_diff'] == next(
            g.max_abs_diff for g in exported.graphs if (g.format, g.part) == (fmt, 'decoder'))
    if 'onnx' in FORMATS_HERE:
        assert meta['formats']['onnx']['attention'] == 'math'
        assert meta['formats']['onnx']['opset'] >= 17


@pytest.mark.parametrize('grid', [(3, 5), (2, 3, 4)])
def test_position_tables_equal_arange_positions_bit_for_bit(grid):
    """The towers count positions from their tokens (traceable); the values are those of
    integer positions from arange and the paper's frequency ladder, computed here apart."""
    tower = Transformer(48, 1, 2, num_axes=len(grid), abs_pos_embed='sincos')
    tokens = torch.zeros(1, math.prod(grid), 48)
    cos, sin = tower.rope(grid, like=tokens[0, :, 0])
    positions = torch.meshgrid(*[torch.arange(n, dtype=torch.float32) for n in grid],
                               indexing='ij')
    angles = torch.cat([pos.reshape(-1, 1) * (10000.0 ** (-torch.arange(
        n, dtype=torch.float32) / n))[None, :]
        for pos, n in zip(positions, tower.rope.axes_pairs)], dim=-1)
    assert torch.equal(cos, angles.cos()) and torch.equal(sin, angles.sin())
    per_axis = 48 // len(grid)
    omega = 1.0 / 10000.0 ** (torch.arange(per_axis // 2, dtype=torch.float32)
                              / (per_axis // 2))
    parts = []
    for pos in positions:
        parts += [(pos.reshape(-1, 1) * omega).sin(), (pos.reshape(-1, 1) * omega).cos()]
    assert torch.equal(sincos_position_embedding(grid, 48, like=tokens[0, :, 0]),
                       torch.cat(parts, dim=-1))


def test_the_quickstart_head_exports_with_the_models_own_forward(tmp_path):
    """The overlapping pixel head (no export code of its own) traces at the export size and
    runs at another size and batch as the PyTorch model does, in every format here."""
    model_cfg = tiny_vitok_config(patch_size=8)
    model_cfg['decoder']['pixel_head'] = dict(type='OverlapPixelHead', overlap=1,
                                              window_power=1.75)
    cfg = Config(dict(model=model_cfg))
    model = build_inference_model(cfg)
    checkpoint = tmp_path / 'overlap.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    export_tokenizer(cfg, str(checkpoint), str(tmp_path / 'out'), formats=FORMATS_HERE,
                     sample_size=(16, 16))
    x = torch.rand(3, 3, 24, 40) * 2 - 1
    with torch.no_grad():
        posterior = model.encode(x)
        expected = model.decode(posterior.mean)
    for fmt in FORMATS_HERE:
        make_runner, suffix = RUNNERS[fmt]
        close(make_runner(tmp_path / 'out' / f'encoder{suffix}')(x)[0], posterior.mean)
        close(make_runner(tmp_path / 'out' / f'decoder{suffix}')(posterior.mean)[0], expected)


def test_torchscript_graphs_name_no_device(exported):
    """Position tables from buffers and the inputs: map_location moves the whole graph."""
    for part in ('encoder', 'decoder'):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', FutureWarning)
            graph = str(torch.jit.load(f'{exported.out_dir}/{part}.pt').inlined_graph)
        assert 'Device = prim::Constant' not in graph and 'aten::arange' not in graph


def test_export_leaves_the_model_as_it_was(micro):
    parts = export_copy(micro, 'math')
    assert {m.backend for m in parts.modules() if hasattr(m, 'qkv')} == {'math'}
    assert not any(type(m) is Linear for m in parts.modules())
    assert {m.backend for m in micro.modules() if hasattr(m, 'qkv')} == {'auto'}
    assert type(micro.encoder.patch_embed.proj) is Linear


def test_a_video_tokenizer_exports_with_dynamic_frames_and_sizes(tmp_path):
    """Patch 8, tubelet 4, sin-cos positions and a deterministic bottleneck: one output."""
    model_cfg = tiny_vitok_config(patch_size=8, tubelet_size=4, abs_pos_embed='sincos')
    model_cfg['bottleneck'] = dict(type='DeterministicBottleneck', latent_channels=4)
    cfg = Config(dict(model=model_cfg))
    model = build_inference_model(cfg)
    checkpoint = tmp_path / 'video.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    report = export_tokenizer(cfg, str(checkpoint), str(tmp_path / 'out'), formats=FORMATS_HERE)
    assert report.metadata['export_size'] == {'N': 2, 'T': 8, 'H': 32, 'W': 32}
    assert report.metadata['check']['size'] == {'N': 3, 'T': 12, 'H': 48, 'W': 64}
    assert [o['name'] for o in report.metadata['encoder']['outputs']] == ['latent']
    assert report.metadata['encoder']['inputs'][0]['layout'] == 'NCTHW'
    x = torch.rand(1, 3, 4, 24, 40) * 2 - 1
    with torch.no_grad():
        latent = model.encode(x).mode()
        recon = model.decode(latent)
    for fmt in FORMATS_HERE:
        make_runner, suffix = RUNNERS[fmt]
        (got, ) = make_runner(tmp_path / 'out' / f'encoder{suffix}')(x)
        assert got.shape == (1, 4, 1, 3, 5)
        close(got, latent)
        close(make_runner(tmp_path / 'out' / f'decoder{suffix}')(latent)[0], recon)


def test_a_size_off_the_patch_grid_is_refused(tmp_path, exported):
    with pytest.raises(ValueError, match=r'sample size H=18 is not a positive multiple of '
                                         r'the patch size p=4'):
        export_tokenizer(MICRO_CONFIG, MICRO_CHECKPOINT, str(tmp_path), formats='torchscript',
                         sample_size=(18, 16))
    # The exported graphs fail on such an input instead of returning a wrong size.
    x = torch.rand(1, 3, 18, 16)
    encode = torchscript_runner(f'{exported.out_dir}/encoder.pt')
    with pytest.raises(RuntimeError, match=r'is invalid for input of size'):
        encode(x)
    if 'onnx' in FORMATS_HERE:
        from onnxruntime.capi.onnxruntime_pybind11_state import Fail
        encode = onnx_runner(f'{exported.out_dir}/encoder.onnx')
        with pytest.raises(Fail, match='cannot be reshaped'):
            encode(x)


def test_an_unknown_format_is_refused_by_name(tmp_path):
    message = "unknown export format 'tflite'; choose from onnx, torchscript."
    with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
        export_tokenizer(MICRO_CONFIG, MICRO_CHECKPOINT, str(tmp_path),
                         formats=('onnx', 'tflite'))
    assert not any(tmp_path.iterdir())


def test_a_missing_package_names_the_install(tmp_path, monkeypatch):
    for name in ONNX_MODULES:
        pytest.importorskip(name)
    monkeypatch.setitem(sys.modules, 'onnxscript', None)  # import onnxscript fails
    with pytest.raises(ValueError, match=re.escape(
            'exporting to onnx needs onnxscript, which is not installed; install the export '
            'extras with `pip install -e .[export]`.')):
        export_tokenizer(MICRO_CONFIG, MICRO_CHECKPOINT, str(tmp_path), formats='onnx')
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    with pytest.raises(ValueError, match=r'needs onnxscript, onnxruntime, which are not'):
        export_tokenizer(MICRO_CONFIG, MICRO_CHECKPOINT, str(tmp_path), formats='onnx')
    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    with pytest.raises(ValueError, match=r'needs onnxruntime.*--no-check'):
        export_tokenizer(MICRO_CONFIG, MICRO_CHECKPOINT, str(tmp_path), formats='onnx')
    assert not any(tmp_path.iterdir())


def test_a_difference_beyond_the_tolerance_names_file_difference_and_tolerance():
    expected = torch.zeros(2, 3)
    assert compare_outputs('enc.onnx', ['latent'], [expected + 5e-5], [expected],
                           atol=1e-4, rtol=0) == pytest.approx(5e-5)
    with pytest.raises(ExportCheckError, match=r"^enc\.onnx: output 'latent' differs from "
                                               r'the PyTorch model by up to 0\.002, beyond the '
                                               r'tolerance atol=0\.0001 \+ rtol=0'):
        compare_outputs('enc.onnx', ['latent'], [expected + 2e-3], [expected], 1e-4, 0)
    with pytest.raises(ExportCheckError, match=r'has shape \(2, 2\), the PyTorch model \(2, 3\)'):
        compare_outputs('dec.pt', ['pixels'], [torch.zeros(2, 2)], [expected], 1e-4, 0)


def test_the_export_command_prints_files_sizes_and_differences(tmp_path, capsys):
    from vitok_mm.cli import build_parser, main
    assert main(['export', MICRO_CONFIG, '--format', 'torchscript', '--out', str(tmp_path),
                 '--size', '8', '12']) == 0
    captured = capsys.readouterr()
    assert 'warning: no checkpoint given: exporting the random initial weights' in captured.err
    lines = captured.out.splitlines()
    assert lines[0].split() == ['file', 'format', 'size', 'max', 'abs', 'diff']
    assert lines[2].startswith(str(tmp_path / 'encoder.pt'))
    assert lines[3].startswith(str(tmp_path / 'decoder.pt'))
    assert 'checked against PyTorch at N=3, H=16, W=28 within atol=0.0001' in captured.out
    meta = json.loads((tmp_path / 'export.json').read_text())
    assert meta['checkpoint'] is None and meta['export_size'] == {'N': 2, 'H': 8, 'W': 12}
    parser = build_parser()
    both = parser.parse_args(['export', MICRO_CONFIG, '--format', 'onnx', 'torchscript',
                              '--out', 'x'])
    assert both.formats == ['onnx', 'torchscript']
    with pytest.raises(SystemExit):
        parser.parse_args(['export', MICRO_CONFIG, '--format', 'tflite', '--out', 'x'])
