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
(float32 by default). The result, ``{'state_dict': ..., 'meta': ...}``, holds only
tensors and plain values: it loads with ``torch.load(weights_only=True)``.
"""
import os
import os.path as osp
from typing import Dict, List, Tuple

import torch

from vitok_mm.models.vitok_v2 import V2Variant, parse_v2_variant, v2_hidden_dim

FLOAT_DTYPES = (torch.float32, torch.bfloat16, torch.float16)


def _block_shapes(prefix: str, width: int, heads: int, hidden: int) -> Dict[str, Tuple]:
    head_dim = width // heads
    return {
        f'{prefix}.norm1.weight': (width, ),
        f'{prefix}.attn.norm_q.weight': (head_dim, ),
        f'{prefix}.attn.norm_k.weight': (head_dim, ),
        f'{prefix}.attn.qkv_proj.weight': (3 * width, width),
        f'{prefix}.attn.out_proj.weight': (width, width),
        f'{prefix}.ffn.fc1.weight': (2 * hidden, width),
        f'{prefix}.ffn.fc2.weight': (width, hidden),
        f'{prefix}.layer_scale.gamma': (width, ),
    }


def v2_shapes(variant: V2Variant) -> Tuple[Dict[str, Tuple], Dict[str, Tuple]]:
    """The key -> shape tables of a release's ``encoder.safetensors`` and
    ``decoder.safetensors``."""
    pixels = 3 * variant.patch_size ** 2
    c = variant.latent_channels
    enc, dec = variant.encoder, variant.decoder
    encoder = {'patch_embed.weight': (enc.width, pixels), 'patch_embed.bias': (enc.width, )}
    for i in range(enc.depth):
        encoder.update(_block_shapes(f'encoder_blocks.{i}', enc.width, enc.num_heads,
                                     v2_hidden_dim(enc.width, variant.mlp_factor)))
    encoder.update({'to_code.weight': (c, enc.width), 'to_code.bias': (c, )})
    decoder = {'decoder_embed.weight': (dec.width, c), 'decoder_embed.bias': (dec.width, )}
    for i in range(dec.depth):
        decoder.update(_block_shapes(f'decoder_blocks.{i}', dec.width, dec.num_heads,
                                     v2_hidden_dim(dec.width, variant.mlp_factor)))
    decoder.update({'to_pixels.weight': (pixels, dec.width), 'to_pixels.bias': (pixels, )})
    return encoder, decoder


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


def _check(tensors: Dict[str, torch.Tensor], expected: Dict[str, Tuple], path: str,
           variant: V2Variant) -> None:
    missing = [k for k in expected if k not in tensors]
    unexpected = [k for k in tensors if k not in expected]
    misshapen = [f'{k} {tuple(tensors[k].shape)} (expected {expected[k]})'
                 for k in expected if k in tensors and tuple(tensors[k].shape) != expected[k]]
    wrong_dtype = [f'{k} {tensors[k].dtype}' for k in tensors
                   if k in expected and tensors[k].dtype not in FLOAT_DTYPES]
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


def _read(path: str) -> Dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist; download it with `hf download '
                                '<repo id> encoder.safetensors decoder.safetensors --local-dir '
                                'DIR` on a networked machine (see the README).')
    try:
        return load_file(path)
    except (SafetensorError, OSError) as error:
        raise ValueError(f'{path} is not a readable safetensors file ({error}); it may be '
                         'truncated: download it again.') from error


def convert_v2_state_dict(encoder: Dict[str, torch.Tensor], decoder: Dict[str, torch.Tensor],
                          variant: str, dtype: torch.dtype = torch.float32,
                          paths: Tuple[str, str] = ('encoder', 'decoder')
                          ) -> Dict[str, torch.Tensor]:
    """Our state dict of v2's encoder and decoder tensors (checked, renamed, permuted)."""
    parsed = parse_v2_variant(variant)
    expected_encoder, expected_decoder = v2_shapes(parsed)
    _check(encoder, expected_encoder, paths[0], parsed)
    _check(decoder, expected_decoder, paths[1], parsed)
    order = patch_feature_order(parsed.patch_size)
    state = {}
    for key, tensor in list(encoder.items()) + list(decoder.items()):
        tensor = tensor.to(dtype)
        if key == 'patch_embed.weight':
            tensor = tensor[:, order]
        elif key in ('to_pixels.weight', 'to_pixels.bias'):
            tensor = tensor[order]
        elif key.endswith('ffn.fc1.weight'):
            value, gate = tensor.chunk(2, dim=0)
            tensor = torch.cat([gate, value], dim=0)
        state[v2_key_map(key)] = tensor.contiguous()
    return state


def convert_v2(encoder_path: str, decoder_path: str, variant: str, out: str,
               dtype: torch.dtype = torch.float32) -> Dict[str, object]:
    """Convert a release's two files into ``out`` (written atomically); returns its
    ``meta``."""
    parsed = parse_v2_variant(variant)
    state = convert_v2_state_dict(_read(encoder_path), _read(decoder_path), variant, dtype,
                                  (encoder_path, decoder_path))
    meta = dict(source='ViTok-v2', variant=parsed.name, encoder=osp.abspath(encoder_path),
                decoder=osp.abspath(decoder_path), dtype=str(dtype).replace('torch.', ''),
                params=sum(t.numel() for t in state.values()))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    partial = out + '.part'
    torch.save(dict(state_dict=state, meta=meta), partial)
    os.replace(partial, out)
    return meta


def expected_keys(variant: str) -> List[str]:
    """Our state-dict keys a converted release has (for checks against a built model)."""
    encoder, decoder = v2_shapes(parse_v2_variant(variant))
    return [v2_key_map(k) for k in list(encoder) + list(decoder)]


__all__ = ['convert_v2', 'convert_v2_state_dict', 'expected_keys', 'patch_feature_order',
           'v2_key_map', 'v2_shapes']
