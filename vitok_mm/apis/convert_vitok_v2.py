"""Released ViTok-v2 weights (``encoder.safetensors``, ``decoder.safetensors``) into a
vitok_mm checkpoint for the matching ``configs/vitok_v2`` config.

Every key and shape v2's variant implies is checked first; missing, unexpected and
misshapen tensors are all named in one error. Then each tensor is renamed to our module
names (:func:`v2_key_map`) and, where the layouts differ, permuted:

- ``patch_embed.weight`` columns and ``to_pixels.weight`` / ``.bias`` rows: v2 orders a
  patch's features (channel, row, col), ours (row, col, channel);
- ``ffn.fc1.weight`` rows: v2's SwiGLU splits its output into (value, gate), ours into
  (gate, value).

Weights stored as fp32, bf16 or fp16 are all accepted and written as ``dtype``
(float32 by default), either as a safetensors file written one tensor at a time
(:func:`convert_v2_to_safetensors`: a 5B release converts in the memory of its largest
tensor) or as ``{'state_dict': ..., 'meta': ...}``, plain data that loads with
``torch.load(weights_only=True)``. :func:`fetch_v2_release` downloads a release from the
Hugging Face Hub and converts it once.
"""
import hashlib
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import torch

from vitok_mm.models.vitok_v2 import RELEASE_FILES, V2Variant, parse_v2_variant, v2_shapes
from vitok_mm.utils.safetensors_io import (
    SafetensorsWriter,
    TensorInfo,
    iter_safetensors,
    read_header,
)

FLOAT_DTYPES = (torch.float32, torch.bfloat16, torch.float16)


_BLOCK_KEYS = {
    'norm1.weight': 'norm.weight',
    'attn.norm_q.weight': 'attn.q_norm.weight',
    'attn.norm_k.weight': 'attn.k_norm.weight',
    'attn.qkv_proj.weight': 'attn.qkv.weight',
    'attn.out_proj.weight': 'attn.proj.weight',
    'ffn.fc1.weight': 'mlp.gate_up.weight',
    'ffn.fc2.weight': 'mlp.down.weight',
    'layer_scale.gamma': 'layer_scale.gamma',
}
_OTHER_KEYS = {
    'patch_embed.weight': 'encoder.patch_embed.proj.weight',
    'patch_embed.bias': 'encoder.patch_embed.proj.bias',
    'to_code.weight': 'bottleneck.proj.weight',
    'to_code.bias': 'bottleneck.proj.bias',
    'decoder_embed.weight': 'decoder.in_proj.weight',
    'decoder_embed.bias': 'decoder.in_proj.bias',
    'to_pixels.weight': 'decoder.pixel_head.proj.weight',
    'to_pixels.bias': 'decoder.pixel_head.proj.bias',
}
_TOWERS = {'encoder_blocks': 'encoder.transformer.blocks',
           'decoder_blocks': 'decoder.transformer.blocks'}


def v2_key_map(key: str) -> str:
    """Our state-dict key of a v2 key."""
    if key in _OTHER_KEYS:
        return _OTHER_KEYS[key]
    tower, index, rest = key.split('.', 2)
    return f'{_TOWERS[tower]}.{index}.{_BLOCK_KEYS[rest]}'


def patch_feature_order(patch_size: int) -> torch.Tensor:
    """``order[i]``: the v2 feature (channel, row, col) at our feature ``i`` (row, col,
    channel) of a ``patch_size`` patch of 3 channels."""
    p = patch_size
    return torch.arange(3 * p * p).reshape(3, p, p).permute(1, 2, 0).reshape(-1)


def _check(shapes: Dict[str, Tuple], dtypes: Dict[str, torch.dtype],
           expected: Dict[str, Tuple], path: str, variant: V2Variant) -> None:
    missing = [k for k in expected if k not in shapes]
    unexpected = [k for k in shapes if k not in expected]
    misshapen = [f'{k} {tuple(shapes[k])} (expected {expected[k]})'
                 for k in expected if k in shapes and tuple(shapes[k]) != expected[k]]
    wrong_dtype = [f'{k} {dtypes[k]}' for k in shapes
                   if k in expected and dtypes[k] not in FLOAT_DTYPES]
    problems = []
    for what, keys in (('missing', missing), ('unexpected', unexpected),
                       ('misshapen', misshapen), ('not floating point', wrong_dtype)):
        if keys:
            shown = ', '.join(keys[:8]) + (f' and {len(keys) - 8} more' if len(keys) > 8 else '')
            problems.append(f'{len(keys)} {what}: {shown}')
    if problems:
        raise ValueError(f'{path} does not hold the weights of ViTok-v2 variant {variant.name}: '
                         f'{"; ".join(problems)}. Check --variant (the release the file was '
                         'downloaded from) and that the file is complete.')


def _header(path: str) -> Dict[str, TensorInfo]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist; download it with `hf download '
                                '<repo id> encoder.safetensors decoder.safetensors --local-dir '
                                'DIR` on a networked machine (see configs/vitok_v2/README.md).')
    try:
        return read_header(path)[0]
    except ValueError as error:
        raise ValueError(f'{error} It may be truncated: download it again.') from None


def convert_v2_tensor(key: str, tensor: torch.Tensor, order: torch.Tensor,
                      dtype: torch.dtype) -> Tuple[str, torch.Tensor]:
    """One v2 tensor as ours: ``(our key, tensor)`` renamed, permuted, in ``dtype``."""
    tensor = tensor.to(dtype)
    if key == 'patch_embed.weight':
        tensor = tensor[:, order]
    elif key in ('to_pixels.weight', 'to_pixels.bias'):
        tensor = tensor[order]
    elif key.endswith('ffn.fc1.weight'):
        value, gate = tensor.chunk(2, dim=0)
        tensor = torch.cat([gate, value], dim=0)
    return v2_key_map(key), tensor.contiguous()


def convert_v2_state_dict(encoder: Dict[str, torch.Tensor], decoder: Dict[str, torch.Tensor],
                          variant: str, dtype: torch.dtype = torch.float32,
                          paths: Tuple[str, str] = ('encoder', 'decoder')
                          ) -> Dict[str, torch.Tensor]:
    """Our state dict of v2's encoder and decoder tensors (checked, renamed, permuted)."""
    parsed = parse_v2_variant(variant)
    expected_encoder, expected_decoder = v2_shapes(parsed)
    for tensors, expected, path in ((encoder, expected_encoder, paths[0]),
                                    (decoder, expected_decoder, paths[1])):
        _check({k: tuple(v.shape) for k, v in tensors.items()},
               {k: v.dtype for k, v in tensors.items()}, expected, path, parsed)
    order = patch_feature_order(parsed.patch_size)
    return dict(convert_v2_tensor(key, tensor, order, dtype)
                for key, tensor in list(encoder.items()) + list(decoder.items()))


def convert_v2_to_safetensors(encoder_path: str, decoder_path: str, variant: str, out: str,
                              dtype: torch.dtype = torch.float32,
                              metadata: Optional[Dict[str, str]] = None,
                              progress: bool = False) -> Dict[str, str]:
    """Convert a release's two files into the safetensors file ``out``, one tensor at a
    time (memory: the largest tensor, whatever the model's size); written atomically.

    Returns the file's metadata: source, variant, dtype, params and ``metadata``.

    Raises:
        FileNotFoundError: a file is missing (the message says how to download it).
        ValueError: a file is no safetensors file, is cut short, or does not hold the
            variant's weights (every missing, unexpected or misshapen tensor named).
    """
    parsed = parse_v2_variant(variant)
    expected = v2_shapes(parsed)
    headers = [_header(encoder_path), _header(decoder_path)]
    for header, shapes, path in zip(headers, expected, (encoder_path, decoder_path)):
        _check({k: v.shape for k, v in header.items()}, {k: v.dtype for k, v in header.items()},
               shapes, path, parsed)
    layout = [(v2_key_map(k), dtype, info.shape) for header in headers
              for k, info in header.items()]
    params = sum(math.prod(shape) for _, _, shape in layout)
    meta = dict(source='ViTok-v2', variant=parsed.name, dtype=str(dtype).replace('torch.', ''),
                params=str(params), **(metadata or {}))
    order = patch_feature_order(parsed.patch_size)
    from tqdm import tqdm
    with SafetensorsWriter(out, layout, meta) as writer, tqdm(
            total=params, unit='param', unit_scale=True, disable=not progress, leave=False,
            desc=f'converting ViTok-v2 {parsed.name}') as bar:
        for path in (encoder_path, decoder_path):
            for key, tensor in iter_safetensors(path):
                writer.write(*convert_v2_tensor(key, tensor, order, dtype))
                bar.update(tensor.numel())
    return meta


def convert_v2(encoder_path: str, decoder_path: str, variant: str, out: str,
               dtype: torch.dtype = torch.float32) -> Dict[str, object]:
    """Convert a release's two files into ``out`` (written atomically): a ``.safetensors``
    file (tensor by tensor) or a ``.pth`` checkpoint ``{'state_dict', 'meta'}``; returns
    its ``meta``."""
    if out.endswith('.safetensors'):
        meta = convert_v2_to_safetensors(encoder_path, decoder_path, variant, out, dtype,
                                         dict(encoder=osp.abspath(encoder_path),
                                              decoder=osp.abspath(decoder_path)))
        return {**meta, 'params': int(meta['params'])}
    parsed = parse_v2_variant(variant)
    for path in (encoder_path, decoder_path):
        _header(path)  # a missing or broken file named before anything is read
    state = convert_v2_state_dict(dict(iter_safetensors(encoder_path)),
                                  dict(iter_safetensors(decoder_path)), variant, dtype,
                                  (encoder_path, decoder_path))
    meta = dict(source='ViTok-v2', variant=parsed.name, encoder=osp.abspath(encoder_path),
                decoder=osp.abspath(decoder_path), dtype=str(dtype).replace('torch.', ''),
                params=sum(t.numel() for t in state.values()))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    partial = out + '.part'
    torch.save(dict(state_dict=state, meta=meta), partial)
    os.replace(partial, out)
    return meta


def fetch_v2_release(repo_id: str, variant: str, revision: Optional[str] = None,
                     dtype: torch.dtype = torch.float32, what: Optional[str] = None,
                     cache_dir: Optional[str] = None, local_files_only: bool = False) -> str:
    """The converted weights of a release on the Hugging Face Hub, as one safetensors file.

    Downloads the release's ``encoder.safetensors`` and ``decoder.safetensors`` into the
    Hugging Face cache (``cache_dir``: its default, ``HF_HOME``), converts them and keeps
    the result in :func:`~vitok_mm.utils.download.cache_home` under a name made of the
    two files' SHA-256 and ``dtype``: a second call downloads and converts nothing. The
    file's metadata holds a ``fingerprint`` of the source files (any dtype).

    Raises:
        FileNotFoundError, DownloadError: as :func:`vitok_mm.utils.hub.hub_files`.
        ValueError: the files are not the variant's weights.
    """
    from filelock import FileLock

    from vitok_mm.utils.download import cache_home
    from vitok_mm.utils.hub import hub_files
    encoder, decoder = hub_files(repo_id, RELEASE_FILES, revision, cache_dir=cache_dir,
                                 local_files_only=local_files_only, what=what)
    # The blobs' names: their SHA-256, which hub_files checked the contents against.
    digests = [osp.basename(osp.realpath(path)) for path in (encoder, decoder)]
    folder = osp.join(cache_home(), 'converted', repo_id.replace('/', '--'))
    name = str(dtype).replace('torch.', '')
    out = osp.join(folder, f'{digests[0][:16]}-{digests[1][:16]}-{name}.safetensors')
    if osp.isfile(out):
        return out
    os.makedirs(folder, exist_ok=True)
    with FileLock(out + '.lock'):
        if not osp.isfile(out):
            fingerprint = hashlib.sha256(f'ViTok-v2 {digests[0]} {digests[1]}'.encode())
            convert_v2_to_safetensors(
                encoder, decoder, variant, out, dtype,
                dict(repo=repo_id, revision=revision or 'main', encoder_sha256=digests[0],
                     decoder_sha256=digests[1], fingerprint=fingerprint.hexdigest()),
                progress=True)
    return out


def expected_keys(variant: str) -> List[str]:
    """Our state-dict keys a converted release has (for checks against a built model)."""
    encoder, decoder = v2_shapes(parse_v2_variant(variant))
    return [v2_key_map(k) for k in list(encoder) + list(decoder)]


__all__ = ['RELEASE_FILES', 'convert_v2', 'convert_v2_state_dict', 'convert_v2_tensor',
           'convert_v2_to_safetensors', 'expected_keys', 'fetch_v2_release',
           'patch_feature_order', 'v2_key_map', 'v2_shapes']
