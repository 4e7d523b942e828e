"""A trained tokenizer's encoder and decoder as two standalone files: ONNX or TorchScript.

Each format gets two graphs, written side by side with an ``export.json`` that says how
to feed them:

- ``encoder``: pixels ``(N, 3, H, W)`` (video ``(N, 3, T, H, W)``) in [-1, 1] ->
  ``latent``, the posterior mean ``(N, c, H/p, W/p)`` (video ``(N, c, T/q, H/p, W/p)``),
  and for a Gaussian bottleneck ``logvar`` of the same shape, the clamped log-variance
  the model's ``DiagonalGaussian`` holds (``std = exp(0.5 * logvar)``; sample with
  ``latent + std * noise``). A deterministic bottleneck gives ``latent`` alone.
- ``decoder``: ``latent`` -> pixels ``(N, 3, H, W)`` (video ``(N, 3, T, H, W)``),
  not clamped, as ``model.decode`` returns them.

Batch, height, width (and frames) are dynamic: one file runs at any batch size and any
size whose H and W are multiples of the patch size p (T of the tubelet size q). The
graphs are the model's own forward (its encoder and bottleneck, its decoder): the towers
are traceable (:mod:`vitok_mm.models.layers.tracing`: patch grids, RoPE and position
tables computed from tensor shapes, nothing cached, no size turned into a Python int),
so a tracer records the size arithmetic as graph ops. :class:`EncoderGraph` and
:class:`DecoderGraph` only choose the outputs. They run a copy of the model whose
attention uses the plain 'math' path (ONNX) or PyTorch's SDPA (TorchScript), and whose
linears are plain ``nn.Linear`` (not the oneDNN inference path of
:class:`~vitok_mm.models.layers.Linear`, an op the ONNX exporter does not know). The
model itself is left unchanged.

ONNX goes through ``torch.onnx.export(dynamo=True)`` with ``dynamic_shapes`` (see
:func:`export_onnx` for why); TorchScript through ``torch.jit.trace``, whose tracer
records the wrappers' shape arithmetic as graph ops, so the traced file is dynamic too.

Unless ``check=False``, each file is loaded back (ONNX Runtime on the CPU, or
``torch.jit.load``) and run on random inputs at another size and batch size than the
export's; its outputs must equal the PyTorch model's within ``atol + rtol * |expected|``
(default 1e-4 each, for float32), else :class:`ExportCheckError` names the file.
"""
import copy
import importlib
import json
import math
import os
import os.path as osp
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.config import Config
from torch import nn

#: Export formats and the file suffix of each.
FORMATS = ('onnx', 'torchscript')
SUFFIXES = {'onnx': '.onnx', 'torchscript': '.pt'}
#: Attention kernel of the exported graphs: plain MatMul/Softmax in ONNX (runs on any
#: runtime and opset); one ``scaled_dot_product_attention`` op in TorchScript, which picks
#: PyTorch's fused kernels where the file is run.
ATTENTION_BACKENDS = {'onnx': 'math', 'torchscript': 'sdpa'}
#: Modules each format needs: to export, and to run the check.
EXPORT_MODULES = {'onnx': ('onnx', 'onnxscript'), 'torchscript': ()}
CHECK_MODULES = {'onnx': ('onnxruntime', ), 'torchscript': ()}
#: Float32 tolerance of the check: both sides compute in float32 with different kernels
#: (MKL/oneDNN vs ONNX Runtime's MLAS), whose sums differ in their last bits.
DEFAULT_ATOL = 1e-4
DEFAULT_RTOL = 1e-4
#: Batch sizes of the example input (not 1, which a tracer may take for a broadcast
#: axis) and of the check (another one, to show the batch axis is dynamic).
EXPORT_BATCH = 2
CHECK_BATCH = 3
PIXEL_CHANNELS = 3
METADATA_FILE = 'export.json'


class ExportCheckError(ValueError):
    """An exported file's outputs differ from the PyTorch model's beyond the tolerance."""


@dataclass
class ExportedGraph:
    """One written graph: ``part`` ('encoder' or 'decoder') in ``format``."""
    part: str
    format: str
    path: str
    inputs: List[str]
    outputs: List[str]
    size_bytes: int
    #: Largest ``|exported - PyTorch|`` over the outputs at the check's size; None unchecked.
    max_abs_diff: Optional[float] = None
    #: Extra files the graph needs next to it (ONNX weights over 2 GB as external data).
    extra_files: List[str] = field(default_factory=list)


@dataclass
class ExportReport:
    """What :func:`export_tokenizer` wrote: the graphs and ``export.json`` (its content too)."""
    out_dir: str
    graphs: List[ExportedGraph]
    metadata_path: str
    metadata: dict


# ---------------------------------------------------------------- the graphs

def _steps(model: nn.Module) -> Tuple[int, ...]:
    p, q = model.patch_size, model.tubelet_size
    return (p, p) if q is None else (q, p, p)


class EncoderGraph(nn.Module):
    """Pixels -> the posterior's mean (and log-variance): the model's encoder and
    bottleneck.

    Shapes: ``(N, 3, H, W)`` / ``(N, 3, T, H, W)`` -> ``latent (N, c, h, w)`` /
    ``(N, c, t, h, w)``, plus ``logvar`` of the same shape for a Gaussian posterior.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        from vitok_mm.models.bottlenecks import DeterministicBottleneck, GaussianBottleneck
        if not isinstance(model.bottleneck, (GaussianBottleneck, DeterministicBottleneck)):
            raise ValueError(
                f'export supports GaussianBottleneck and DeterministicBottleneck; the model '
                f'has a {type(model.bottleneck).__name__}.')
        self.encoder, self.bottleneck = model.encoder, model.bottleneck
        self.gaussian = isinstance(model.bottleneck, GaussianBottleneck)

    @property
    def output_names(self) -> List[str]:
        return ['latent', 'logvar'] if self.gaussian else ['latent']

    def forward(self, pixels: torch.Tensor):
        posterior = self.bottleneck(*self.encoder(pixels))
        if self.gaussian:
            return posterior.mean, posterior.logvar
        return posterior.mode()


class DecoderGraph(nn.Module):
    """Latent -> pixels: the model's decoder.

    Shapes: ``(N, c, h, w)`` -> ``(N, 3, h*p, w*p)``; ``(N, c, t, h, w)`` ->
    ``(N, 3, t*q, h*p, w*p)``.
    """

    output_names = ['pixels']

    def __init__(self, model: nn.Module):
        super().__init__()
        self.decoder = model.decoder

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.decoder(latent)


def export_copy(model: nn.Module, attention_backend: str) -> nn.Module:
    """A copy of the tokenizer's encoder, bottleneck and decoder for tracing: attention on
    ``attention_backend``, plain ``nn.Linear`` forwards, no gradients, eval mode.

    The model's losses (and a GAN's discriminator) are not copied.
    """
    from vitok_mm.models.layers import Linear
    parts = nn.Module()
    for name in ('encoder', 'bottleneck', 'decoder'):
        setattr(parts, name, copy.deepcopy(getattr(model, name)))
    parts.patch_size, parts.tubelet_size = model.patch_size, model.tubelet_size
    for module in parts.modules():
        if hasattr(module, 'backend') and hasattr(module, 'qkv'):
            module.backend = attention_backend
        if type(module) is Linear:
            # Same parameters, nn.Linear's forward: F.linear, whatever the grad mode (the
            # tracer runs without gradients, where Linear would take its oneDNN op).
            module.__class__ = nn.Linear
    return parts.requires_grad_(False).eval()


# ---------------------------------------------------------------- writers

def _onnx_shapes(model: nn.Module, part: str) -> Tuple[dict, List[list]]:
    """``torch.export`` dims of the graph's input, and the named shapes of its outputs.

    Batch and grid sizes are free; pixel sizes are their multiples of the patch/tubelet
    (so no divisibility guard is needed). The ONNX file names the axes ``N``, ``h``,
    ``w`` (``t``) and ``4*h``, ``4*w`` for pixels of patch 4.
    """
    from torch.export import Dim
    names = ('h', 'w') if model.tubelet_size is None else ('t', 'h', 'w')
    batch = Dim('N', min=1, max=4096)
    grid = [Dim(name, min=1, max=4096) for name in names]
    pixels = [step * dim for dim, step in zip(grid, _steps(model))]
    latent_shape = ['N', model.bottleneck.latent_channels, *names]
    if part == 'decoder':
        pixel_names = [f'{step}*{name}' for step, name in zip(_steps(model), names)]
        return ({'latent': {0: batch, **{2 + i: dim for i, dim in enumerate(grid)}}},
                [['N', PIXEL_CHANNELS, *pixel_names]])
    outputs = 2 if hasattr(model.bottleneck, 'logvar_range') else 1
    return ({'pixels': {0: batch, **{2 + i: dim for i, dim in enumerate(pixels)}}},
            [latent_shape] * outputs)


def export_onnx(graph: nn.Module, example: torch.Tensor, path: str, input_name: str,
                dynamic_shapes: dict, opset: Optional[int] = None,
                output_shapes: Optional[Sequence[Sequence]] = None) -> int:
    """Write ``graph`` as ONNX at ``path``; returns the default opset's version.

    ``output_shapes`` (ints and axis names) label the outputs' axes, which the exporter
    leaves with generated names.

    The dynamo exporter (``torch.onnx.export(dynamo=True)``, the default of torch 2.14)
    with ``dynamic_shapes``: ``torch.export`` traces with symbolic sizes and fails loudly
    when a size gets baked in, while the TorchScript-based exporter (``dynamo=False``,
    deprecated) only renames the axes given in ``dynamic_axes`` and keeps any constant
    the tracer recorded; it also has no translation of ``aten::rms_norm`` (the RMSNorm of
    every ViTok block) at opset 20.
    """
    program = torch.onnx.export(
        graph, (example, ), input_names=[input_name], output_names=list(graph.output_names),
        dynamic_shapes=dynamic_shapes, opset_version=opset, dynamo=True, verbose=False)
    if output_shapes is not None:
        from onnxscript import ir
        for value, shape in zip(program.model.graph.outputs, output_shapes):
            value.shape = ir.Shape(list(shape))
    program.save(path)  # weights over 2 GB go to an external data file next to it
    return int(program.model.opset_imports.get('', opset or 0))


def export_torchscript(graph: nn.Module, example: torch.Tensor, path: str) -> None:
    """Write ``graph`` as TorchScript at ``path`` by ``torch.jit.trace``.

    The model's forward never turns a size into a Python number while traced, so the
    tracer records its shape arithmetic (``aten::size``, division, reshapes) and the file
    is dynamic in batch and sizes. No op of the graph names a device (positions are
    counted from the inputs: :func:`vitok_mm.models.layers.tracing.grid_positions`), so
    ``torch.jit.load(path, map_location=device)`` gives a module that runs on ``device``.
    """
    with warnings.catch_warnings():
        # torch.jit is in maintenance mode; the files still load with torch.jit.load.
        warnings.filterwarnings('ignore', category=FutureWarning, module='torch.jit')
        traced = torch.jit.trace(graph, (example, ), check_trace=False)
        traced.save(path)


# ---------------------------------------------------------------- checking

def _run_exported(fmt: str, path: str, input_name: str, x: torch.Tensor) -> List[torch.Tensor]:
    if fmt == 'onnx':
        import onnxruntime
        session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])
        return [torch.from_numpy(out) for out in session.run(None, {input_name: x.numpy()})]
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', category=FutureWarning, module='torch.jit')
        module = torch.jit.load(path, map_location='cpu')
    with torch.no_grad():
        out = module(x)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def compare_outputs(path: str, names: Sequence[str], got: Sequence[torch.Tensor],
                    expected: Sequence[torch.Tensor], atol: float, rtol: float) -> float:
    """Largest ``|got - expected|`` over the outputs.

    Raises:
        ExportCheckError: a shape differs, or an element differs by more than
            ``atol + rtol * |expected|``; the message names the file, the output, the
            difference and the tolerance.
    """
    if len(got) != len(expected):
        raise ExportCheckError(f'{path}: {len(got)} output(s), the PyTorch model '
                               f'{len(expected)} ({", ".join(names)}).')
    worst = 0.0
    for name, a, b in zip(names, got, expected):
        if tuple(a.shape) != tuple(b.shape):
            raise ExportCheckError(
                f'{path}: output {name!r} has shape {tuple(a.shape)}, the PyTorch model '
                f'{tuple(b.shape)}.')
        diff = (a.double() - b.double()).abs()
        largest = float(diff.max()) if diff.numel() else 0.0
        if not math.isfinite(largest) or bool((diff > atol + rtol * b.double().abs()).any()):
            raise ExportCheckError(
                f'{path}: output {name!r} differs from the PyTorch model by up to '
                f'{largest:.3g}, beyond the tolerance atol={atol:g} + rtol={rtol:g} * '
                '|expected|. Export again with a larger tolerance (--atol/--rtol) if that '
                'is acceptable, or report it as a bug.')
        worst = max(worst, largest)
    return worst


def _random_inputs(model: nn.Module, pixel_size: Sequence[int], batch: int,
                   seed: int) -> Dict[str, torch.Tensor]:
    """Pixels in [-1, 1] and standard-normal latents of the matching grid."""
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.rand(batch, PIXEL_CHANNELS, *pixel_size, generator=generator) * 2 - 1
    grid = [size // step for size, step in zip(pixel_size, _steps(model))]
    latent = torch.randn(batch, model.latent_channels, *grid, generator=generator)
    return dict(encoder=pixels, decoder=latent)


@torch.no_grad()
def _reference(model: nn.Module, part: str, x: torch.Tensor) -> List[torch.Tensor]:
    """The PyTorch model's own outputs (its configured attention and linear kernels)."""
    if part == 'decoder':
        return [model.decode(x)]
    posterior = model.encode(x)
    return [posterior.mean, posterior.logvar] if hasattr(posterior, 'logvar') else [
        posterior.mode()]


# ---------------------------------------------------------------- arguments

def check_formats(formats: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """The formats as a tuple without repeats; a ValueError names an unknown one."""
    formats = (formats, ) if isinstance(formats, str) else tuple(formats)
    if not formats:
        raise ValueError(f'no export format given; choose from {", ".join(FORMATS)}.')
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f'unknown export format {fmt!r}; choose from {", ".join(FORMATS)}.')
    return tuple(dict.fromkeys(formats))


def check_requirements(formats: Sequence[str], check: bool = True) -> None:
    """Raise a ValueError naming the missing modules, and the fix, when the formats (and
    the check) need modules that cannot be imported."""
    for fmt in formats:
        needed = EXPORT_MODULES[fmt] + (CHECK_MODULES[fmt] if check else ())
        missing = []
        for name in needed:
            try:
                importlib.import_module(name)
            except ImportError:
                missing.append(name)
        if missing:
            raise ValueError(
                f'exporting to {fmt} needs {", ".join(missing)}, which '
                f'{"is" if len(missing) == 1 else "are"} not installed; install the export '
                'extras with `pip install -e .[export]`'
                + (' (or export with check=False / --no-check to skip the ONNX Runtime check)'
                   if set(missing) <= set(CHECK_MODULES[fmt]) else '') + '.')


def _sample_size(model: nn.Module, cfg: Config,
                 sample_size: Union[None, int, Sequence[int]]) -> Tuple[int, ...]:
    """``(H, W)`` / ``(T, H, W)`` of the export's example input.

    Default: the config's ``input_shape``, else a 4x4 token grid (2 tubelets of frames).
    An int is a square side; for video, T then comes from the default.
    """
    steps = _steps(model)
    video = model.tubelet_size is not None
    configured = tuple(cfg.get('input_shape', ()))[1:]
    default = configured if len(configured) == len(steps) else tuple(
        (2 if video and i == 0 else 4) * step for i, step in enumerate(steps))
    if sample_size is None:
        size = default
    else:
        size = (sample_size, ) * 2 if isinstance(sample_size, int) else tuple(sample_size)
        if len(size) == 2 and video:
            size = (default[0], ) + size
        if len(size) != len(steps):
            raise ValueError(
                f'sample_size takes {"T H W or H W" if video else "H W"} (or one side), got '
                f'{list(size)}.')
    names = ('T', 'H', 'W') if video else ('H', 'W')
    for name, value, step in zip(names, size, steps):
        if not isinstance(value, int) or value < 1 or value % step:
            what = 'tubelet size q' if name == 'T' else 'patch size p'
            raise ValueError(
                f'sample size {name}={value} is not a positive multiple of the {what}={step}: '
                f'the exported graphs take sizes that are multiples of {step}.')
    return size


def _size_dict(names: Sequence[str], batch: int, size: Sequence[int]) -> dict:
    return dict(N=batch, **dict(zip(names, size)))


# ---------------------------------------------------------------- entry point

def export_tokenizer(config: Union[str, Config], checkpoint: Optional[str], out_dir: str,
                     formats: Union[str, Sequence[str]] = ('onnx', ),
                     sample_size: Union[None, int, Sequence[int]] = None,
                     opset: Optional[int] = None, check: bool = True,
                     atol: float = DEFAULT_ATOL, rtol: float = DEFAULT_RTOL) -> ExportReport:
    """Write the tokenizer's encoder and decoder in each format into ``out_dir``.

    Args:
        config: a config file or a ``Config`` of a ViTok tokenizer.
        checkpoint: its weights (loaded weights-only and strictly); ``None``: the random
            initial weights.
        out_dir: folder of ``encoder.onnx`` / ``decoder.onnx`` (``.pt`` for TorchScript)
            and ``export.json``; created when missing, files in it overwritten.
        formats: any of :data:`FORMATS`.
        sample_size: ``(H, W)`` (video ``(T, H, W)``, or ``(H, W)`` with the default T),
            or one side, of the example input the graphs are traced with; multiples of
            the patch (tubelet) size. Default: the config's ``input_shape``.
        opset: ONNX opset (default: the exporter's).
        check: run each file on a random batch of ``CHECK_BATCH`` inputs at another
            size (``H + 2p``, ``W + 4p``, ``T + q``) against the PyTorch model.
        atol, rtol: the check's tolerance, ``|exported - torch| <= atol + rtol * |torch|``.

    Returns:
        An :class:`ExportReport`; ``export.json`` holds its ``metadata``.

    Raises:
        ValueError: an unknown format, a missing optional dependency (the message gives
            the ``pip install``), a sample size that is not a multiple of the patch size,
            a config that is not a supported tokenizer, a negative tolerance.
        ExportCheckError: (a ValueError) an exported file disagrees with the model.
        FileNotFoundError, vitok_mm.utils.CheckpointError: a missing config or checkpoint,
            or a checkpoint of another model.
    """
    from vitok_mm.apis.inference import build_inference_model, load_inference_config
    from vitok_mm.models.tokenizers import ViTok
    formats = check_formats(formats)
    if atol < 0 or rtol < 0:
        raise ValueError(f'atol and rtol must be >= 0, got atol={atol}, rtol={rtol}.')
    check_requirements(formats, check)
    cfg = config if isinstance(config, Config) else load_inference_config(config)
    model = build_inference_model(cfg, checkpoint)
    if not isinstance(model, ViTok):
        raise ValueError(f'export takes a tokenizer (a ViTok model); the config builds a '
                         f'{type(model).__name__}.')
    size = _sample_size(model, cfg, sample_size)
    video = model.tubelet_size is not None
    steps = _steps(model)
    # Another size on every axis, H != W, to catch a baked-in or transposed size.
    grow = (1, 2, 4) if video else (2, 4)
    check_size = tuple(s + g * step for s, g, step in zip(size, grow, steps))
    os.makedirs(out_dir, exist_ok=True)
    examples = _random_inputs(model, size, EXPORT_BATCH, seed=0)
    checks = _random_inputs(model, check_size, CHECK_BATCH, seed=1) if check else None
    expected = {part: _reference(model, part, checks[part]) for part in checks} if check else {}

    graphs, described = [], {}
    input_names = dict(encoder='pixels', decoder='latent')
    for fmt in formats:
        parts = export_copy(model, ATTENTION_BACKENDS[fmt])
        described[fmt] = dict(attention=ATTENTION_BACKENDS[fmt])
        if fmt == 'torchscript':
            described[fmt]['load'] = 'torch.jit.load(path, map_location=device)'
        for part, wrapper in (('encoder', EncoderGraph), ('decoder', DecoderGraph)):
            graph = wrapper(parts).eval()
            path = osp.join(out_dir, part + SUFFIXES[fmt])
            if fmt == 'onnx':
                dynamic_shapes, output_shapes = _onnx_shapes(parts, part)
                described[fmt]['opset'] = export_onnx(
                    graph, examples[part], path, input_names[part], dynamic_shapes, opset,
                    output_shapes)
            else:
                export_torchscript(graph, examples[part], path)
            extra = [name for name in (osp.basename(path) + '.data', )
                     if osp.isfile(osp.join(out_dir, name))]
            diff = None
            if check:
                got = _run_exported(fmt, path, input_names[part], checks[part])
                diff = compare_outputs(path, graph.output_names, got, expected[part], atol, rtol)
            size_bytes = sum(osp.getsize(osp.join(out_dir, name))
                             for name in [osp.basename(path)] + extra)
            graphs.append(ExportedGraph(part, fmt, path, [input_names[part]],
                                        list(graph.output_names), size_bytes, diff, extra))
            described[fmt][part] = dict(file=osp.basename(path), extra_files=extra,
                                        max_abs_diff=diff)
    metadata = _metadata(model, config, checkpoint, size, check_size if check else None,
                         atol, rtol, described)
    metadata_path = osp.join(out_dir, METADATA_FILE)
    with open(metadata_path, 'w') as f:
        json.dump(metadata, f, indent=2)
        f.write('\n')
    return ExportReport(out_dir, graphs, metadata_path, metadata)


def _metadata(model: nn.Module, config: Union[str, Config], checkpoint: Optional[str],
              size: Sequence[int], check_size: Optional[Sequence[int]], atol: float,
              rtol: float, formats: dict) -> dict:
    """The content of ``export.json``: what each graph takes and gives, and the files."""
    video = model.tubelet_size is not None
    steps = _steps(model)
    names = ('T', 'H', 'W') if video else ('H', 'W')
    grid_names = tuple(name.lower() for name in names)
    layout = 'NCTHW' if video else 'NCHW'
    latent_shape = ['N', model.latent_channels, *grid_names]
    pixels = dict(name='pixels', shape=['N', PIXEL_CHANNELS, *names], layout=layout,
                  dtype='float32', range=[-1.0, 1.0])
    reconstruction = {key: value for key, value in pixels.items() if key != 'range'}
    reconstruction['meaning'] = 'the reconstruction, about [-1, 1], not clamped'
    latent = dict(name='latent', shape=latent_shape, layout=layout, dtype='float32')
    encoder_outputs = [dict(latent, meaning='posterior mean (the latent a generator uses)')]
    if hasattr(model.bottleneck, 'logvar_range'):
        encoder_outputs.append(dict(
            latent, name='logvar',
            meaning='posterior log-variance, clamped to '
                    f'{list(model.bottleneck.logvar_range)}; std = exp(0.5 * logvar), a '
                    'sample is latent + std * noise'))
    grid = ', '.join(f'{g} = {n} / {s}' for g, n, s in zip(grid_names, names, steps))
    multiples = ' and '.join(f'{n} of {s}' for n, s in zip(names, steps))
    check = None
    if check_size is not None:
        check = dict(size=_size_dict(names, CHECK_BATCH, check_size), atol=atol, rtol=rtol,
                     rule='|exported - pytorch| <= atol + rtol * |pytorch|',
                     runtime=dict(onnx='onnxruntime, CPUExecutionProvider',
                                  torchscript='torch.jit.load, CPU'))
    return dict(
        model=type(model).__name__,
        config=config if isinstance(config, str) else getattr(config, 'filename', None),
        checkpoint=checkpoint,
        patch_size=model.patch_size, tubelet_size=model.tubelet_size,
        latent_channels=model.latent_channels, bottleneck=type(model.bottleneck).__name__,
        size_constraint=f'sizes must be multiples: {multiples}; the latent grid is {grid}.',
        multiple_of=dict(zip(names, steps)),
        dynamic_axes=['N', *names],
        encoder=dict(inputs=[pixels], outputs=encoder_outputs),
        decoder=dict(inputs=[dict(latent, meaning='a latent map like the encoder\'s, any '
                                                   'grid')],
                     outputs=[reconstruction]),
        export_size=_size_dict(names, EXPORT_BATCH, size),
        check=check,
        formats=formats,
        torch_version=torch.__version__,
    )


__all__ = ['ATTENTION_BACKENDS', 'DEFAULT_ATOL', 'DEFAULT_RTOL', 'FORMATS', 'DecoderGraph',
           'EncoderGraph', 'ExportCheckError', 'ExportReport', 'ExportedGraph',
           'check_formats', 'check_requirements',
           'compare_outputs', 'export_copy', 'export_onnx', 'export_torchscript',
           'export_tokenizer']
