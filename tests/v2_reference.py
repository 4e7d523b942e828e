"""Independent plain-torch reference of the ViTok-v2 tokenizer math (Na-VAE/vitok-release).

Used by tests to check that converted models reproduce v2's outputs. It deliberately
imports nothing from ``vitok_mm``; it is a compact re-implementation of
``vitok/models/ae.py``, ``vitok/models/modules/*`` and ``vitok/pp/ops.py`` of v2.

Math (v2 ``AE``):
  * encoder: ``x = patch_embed(patches)`` -> blocks -> ``z = LayerNorm(to_code(x))``
    (no affine, eps 1e-6, fp32); decoder: ``decoder_embed(z)`` -> blocks -> ``to_pixels``.
    No final norm in either tower.
  * parallel block: ``h = RMSNorm(x)``; ``x + gamma * (attn(h) + ffn(h))``.
  * attention: fused qkv viewed (B, N, 3, heads, head_dim); per-head RMSNorm on q and k
    (eps 1e-6) before 2D RoPE; no biases. SwiGLU: ``v, g = fc1(h).chunk(2)``;
    ``fc2(silu(g) * v)``.
  * 2D RoPE (theta 1e4): the head's head_dim/2 interleaved pairs (x[2i], x[2i+1]); the
    first half of the pairs rotate with row_idx, the second half with col_idx, each axis
    with ``1 / theta ** (arange(0, d/2, 2) / (d/2))``.

Masking: v2's SDPA backend masks pairs ``m[:, :, None] & m[:, None, :]``. Rows of padded
queries are then fully masked (torch's SDPA returns 0 or NaN depending on backend); here
attention is computed with the explicit formula and the padded rows are set to 0, so only
valid tokens are meaningful. ``use_mask=False`` reproduces v2's default ``flash`` backend,
which ignores ``patch_mask`` (padding tokens take part in attention); v2's flash path
also runs attention in bf16, which this reference does not reproduce.

v2 quirk NOT reproduced: v2's ``reshape_for_broadcast`` matches the (B, N, D/2) RoPE table
against q of layout (B, N, H, D/2) by shape, so when the token count N equals the number of
heads (16 for 350M, 24 for 5B) it broadcasts as (B, 1, N, D/2), i.e. rotates by head index.
Tests comparing against real v2 code should use a padded length L != heads.
Checked against v2's own modules (sdpa backend, fp32, random weights): max abs difference
~5e-6 (350M shapes) / ~3e-5 (5B shapes, outputs ~30) whenever L != heads.
"""
import math
import re

import torch
import torch.nn.functional as F

V2_RELEASES = {
    '350M-f16x16': 'Ld4-Ld24/1x16x16',
    '350M-f16x32': 'Ld4-Ld24/1x16x32',
    '350M-f16x64': 'Ld4-Ld24/1x16x64',
    '5B-f16x16': 'Td4-T/1x16x16',
    '5B-f16x32': 'Td4-T/1x16x32',
    '5B-f16x64': 'Td4-T/1x16x64',
    '5B-f32x64': 'Td4-T/1x32x64',
    '5B-f32x128': 'Td4-T/1x32x128',
    '5B-f32x256': 'Td4-T/1x32x256',
}
V2_REPO_IDS = {name: f'philippehansen/ViTok-v2-{name}' for name in V2_RELEASES}

# base letter -> (width, depth, heads)
_BASES = {'B': (768, 12, 12), 'L': (1024, 24, 16), 'G': (1728, 32, 24),
          'T': (3072, 40, 24), 'E': (4096, 48, 32)}
_DEFAULT_MLP = 2.67
_EPS = 1e-6
_ROPE_THETA = 10000.0


# ----------------------------------------------------------------------------- variants
def _parse_tower(name):
    if name.startswith('w') and '_d' in name and '_h' in name:  # w<W>_d<D>_h<H>[_m<M>]
        parts = name.split('_')
        mlp = float(parts[3][1:]) if len(parts) > 3 and parts[3].startswith('m') else _DEFAULT_MLP
        return dict(width=int(parts[0][1:]), depth=int(parts[1][1:]),
                    heads=int(parts[2][1:]), mlp_factor=mlp)
    pats = dict(w=r'w(\d+)', d=r'd(\d+)', h=r'h(\d+)', m=r'm(\d+(?:\.\d+)?)')
    found = {k: re.search(p, name) for k, p in pats.items()}
    base = re.sub('|'.join(pats.values()), '', name)
    if base and base not in _BASES:
        raise ValueError(f'unknown v2 base variant {base!r}')
    width, depth, heads = _BASES.get(base, _BASES['B'])  # empty base -> 768/12/12
    return dict(width=int(found['w'].group(1)) if found['w'] else width,
                depth=int(found['d'].group(1)) if found['d'] else depth,
                heads=int(found['h'].group(1)) if found['h'] else heads,
                mlp_factor=float(found['m'].group(1)) if found['m'] else _DEFAULT_MLP)


def parse_v2_variant(variant):
    """``'<enc>-<dec>/[t x]p x c'`` -> flat config dict (as v2's ``decode_variant``)."""
    towers, strides = variant.split('/')
    enc_name, dec_name = towers.split('-') if '-' in towers else (towers, towers)
    nums = [int(n) for n in strides.split('x')]
    if len(nums) == 2:
        nums = [1] + nums
    if len(nums) != 3:
        raise ValueError(f'invalid v2 variant {variant!r}')
    t, p, c = nums
    enc, dec = _parse_tower(enc_name), _parse_tower(dec_name)
    cfg = dict(mlp_factor=max(enc['mlp_factor'], dec['mlp_factor']),  # one factor, both towers
               temporal_stride=t, patch=p, channels=c, pixels_per_token=3 * t * p * p)
    for prefix, tower in (('encoder', enc), ('decoder', dec)):
        for key in ('width', 'depth', 'heads'):
            cfg[f'{prefix}_{key}'] = tower[key]
    return cfg


def _cfg(variant):
    return parse_v2_variant(variant) if isinstance(variant, str) else variant


def v2_ffn_hidden(width, mlp_factor=_DEFAULT_MLP):
    """SwiGLU hidden size: ``int(width * mlp)`` rounded to a multiple of 16 (v2 SwiGLU)."""
    return ((int(width * mlp_factor) + 8) // 16) * 16


# ----------------------------------------------------------------------------- weights
def _block_shapes(prefix, width, heads, hidden):
    return {f'{prefix}.norm1.weight': (width,),
            f'{prefix}.attn.norm_q.weight': (width // heads,),
            f'{prefix}.attn.norm_k.weight': (width // heads,),
            f'{prefix}.attn.qkv_proj.weight': (3 * width, width),
            f'{prefix}.attn.out_proj.weight': (width, width),
            f'{prefix}.ffn.fc1.weight': (2 * hidden, width),
            f'{prefix}.ffn.fc2.weight': (width, hidden),
            f'{prefix}.layer_scale.gamma': (width,)}


def v2_param_shapes(variant, encoder_depth=None, decoder_depth=None):
    """``(encoder_shapes, decoder_shapes)``: key -> shape of the released safetensors files."""
    cfg = _cfg(variant)
    ppt, c, mlp = cfg['pixels_per_token'], cfg['channels'], cfg['mlp_factor']
    we, wd = cfg['encoder_width'], cfg['decoder_width']
    enc = {'patch_embed.weight': (we, ppt), 'patch_embed.bias': (we,)}
    for i in range(cfg['encoder_depth'] if encoder_depth is None else encoder_depth):
        enc.update(_block_shapes(f'encoder_blocks.{i}', we, cfg['encoder_heads'],
                                 v2_ffn_hidden(we, mlp)))
    enc.update({'to_code.weight': (c, we), 'to_code.bias': (c,)})
    dec = {'decoder_embed.weight': (wd, c), 'decoder_embed.bias': (wd,)}
    for i in range(cfg['decoder_depth'] if decoder_depth is None else decoder_depth):
        dec.update(_block_shapes(f'decoder_blocks.{i}', wd, cfg['decoder_heads'],
                                 v2_ffn_hidden(wd, mlp)))
    dec.update({'to_pixels.weight': (ppt, wd), 'to_pixels.bias': (ppt,)})
    return enc, dec


def v2_param_counts(variant):
    """Parameter counts ``(encoder, decoder)`` from shapes only (nothing allocated)."""
    return tuple(sum(math.prod(s) for s in shapes.values()) for shapes in v2_param_shapes(variant))


def v2_state_dicts(variant, encoder_depth=None, decoder_depth=None, seed=0,
                   dtype=torch.float32, std=0.03):
    """Random weights with the released key names/shapes; gammas and norms moved off init."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for shapes in v2_param_shapes(variant, encoder_depth, decoder_depth):
        sd = {}
        for key, shape in shapes.items():
            if key.endswith('layer_scale.gamma'):
                t = 0.3 + 0.7 * torch.rand(shape, generator=gen)
            elif 'norm' in key:
                t = 1.0 + 0.2 * torch.randn(shape, generator=gen)
            elif key.endswith('.bias'):
                t = 0.02 * torch.randn(shape, generator=gen)
            else:
                t = std * torch.randn(shape, generator=gen)
            sd[key] = t.to(dtype).contiguous()
        out.append(sd)
    return tuple(out)


def save_v2_release(folder, variant, **kw):
    """Write ``encoder.safetensors`` / ``decoder.safetensors`` of random weights to folder."""
    from pathlib import Path

    from safetensors.torch import save_file
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = (str(folder / 'encoder.safetensors'), str(folder / 'decoder.safetensors'))
    for sd, path in zip(v2_state_dicts(variant, **kw), paths):
        save_file(sd, path)
    return paths


# ----------------------------------------------------------------------------- pre/post
def v2_fit_to_token_budget(h, w, patch, max_tokens, eps=1e-5):
    """v2 ``_fit_to_token_budget``: grid scaled by sqrt(budget / tokens), floored, capped."""
    gh, gw = -(-h // patch), -(-w // patch)
    if gh * gw <= max_tokens:
        return h, w
    s = math.sqrt(max_tokens / (gh * gw))
    nh, nw = max(1, math.floor(gh * s + eps)), max(1, math.floor(gw * s + eps))
    return min(nh * patch, h), min(nw * patch, w)


def v2_resize_to_budget(img, patch, max_tokens):
    """v2 ``resize_to_token_budget`` on a (3, H, W) tensor (bicubic, antialias)."""
    h, w = img.shape[-2:]
    size = v2_fit_to_token_budget(h, w, patch, max_tokens)
    if size == (h, w):
        return img
    # == torchvision TF.resize(img, size, BICUBIC, antialias=True) for float tensors
    return F.interpolate(img[None], size=size, mode='bicubic', antialias=True,
                         align_corners=False)[0]


def v2_patchify(images, patch, max_tokens=None):
    """Batch of (3, H, W) images -> v2 patch dict padded to a common length."""
    per_image = []
    for img in images:
        c, h, w = img.shape
        img = F.pad(img, (0, -w % patch, 0, -h % patch))  # right/bottom, value 0
        gr, gc = img.shape[1] // patch, img.shape[2] // patch
        # (c, gr, p, gc, p) -> tokens row-major, features (channel, row, col) like F.unfold
        tok = img.reshape(c, gr, patch, gc, patch).permute(1, 3, 0, 2, 4).reshape(gr * gc, -1)
        per_image.append((tok, h, w, gr, gc))
    length = max(t[0].shape[0] for t in per_image) if max_tokens is None else max_tokens
    b, dim = len(per_image), per_image[0][0].shape[1]
    out = dict(patches=per_image[0][0].new_zeros(b, length, dim),
               patch_mask=torch.zeros(b, length, dtype=torch.bool),
               row_idx=torch.zeros(b, length, dtype=torch.long),
               col_idx=torch.zeros(b, length, dtype=torch.long))
    for i, (tok, *_, gc) in enumerate(per_image):
        n = tok.shape[0]
        if n > length:
            raise ValueError(f'image {i} has {n} tokens > max_tokens {length}')
        out['patches'][i, :n] = tok
        out['patch_mask'][i, :n] = True
        out['row_idx'][i, :n] = torch.arange(n) // gc
        out['col_idx'][i, :n] = torch.arange(n) % gc
    for key, j in (('orig_height', 1), ('orig_width', 2), ('grid_rows', 3), ('grid_cols', 4)):
        out[key] = torch.tensor([t[j] for t in per_image], dtype=torch.long)
    return out


def _scatter_grid(values, patch_dict, b):
    """Valid tokens of image b -> (grid_rows, grid_cols, D) by their row/col indices."""
    m = patch_dict['patch_mask'][b]
    grid = values.new_zeros(int(patch_dict['grid_rows'][b]), int(patch_dict['grid_cols'][b]),
                            values.shape[-1])
    grid[patch_dict['row_idx'][b][m], patch_dict['col_idx'][b][m]] = values[b][m]
    return grid


def v2_unpatchify(patches, patch_dict, patch):
    """(B, L, 3p²) patches -> list of (3, orig_h, orig_w) images."""
    images = []
    for b in range(patches.shape[0]):
        grid = _scatter_grid(patches, patch_dict, b)
        gr, gc = grid.shape[:2]
        img = grid.reshape(gr, gc, 3, patch, patch).permute(2, 0, 3, 1, 4)
        img = img.reshape(3, gr * patch, gc * patch)
        images.append(img[:, :int(patch_dict['orig_height'][b]), :int(patch_dict['orig_width'][b])])
    return images


# ----------------------------------------------------------------------------- model math
def _rms_norm(x, weight):
    x32 = x.float()
    y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + _EPS) * weight.float()
    return y.to(x.dtype)


def _rope_tables(row, col, head_dim):
    """cos/sin (B, N, head_dim/2): row frequencies then column frequencies."""
    axis = head_dim // 2
    inv_freq = 1.0 / (_ROPE_THETA ** (torch.arange(0, axis, 2).float() / axis))
    ang = torch.cat([row.float()[..., None] * inv_freq, col.float()[..., None] * inv_freq], -1)
    return ang.cos(), ang.sin()


def _rotate(x, cos, sin):
    """x (B, N, H, D); pairs (x[2i], x[2i+1]) rotated by angle i."""
    a, b = x.unflatten(-1, (-1, 2)).unbind(-1)
    cos, sin = cos[:, :, None].to(x.dtype), sin[:, :, None].to(x.dtype)
    return torch.stack([a * cos - b * sin, a * sin + b * cos], -1).flatten(-2)


def _attention(sd, p, h, heads, rope, mask):
    bsz, n, width = h.shape
    hd = width // heads
    q, k, v = (h @ sd[f'{p}.attn.qkv_proj.weight'].T).view(bsz, n, 3, heads, hd).unbind(2)
    q, k = _rms_norm(q, sd[f'{p}.attn.norm_q.weight']), _rms_norm(k, sd[f'{p}.attn.norm_k.weight'])
    q, k = _rotate(q, *rope), _rotate(k, *rope)
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, N, hd)
    scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
    if mask is not None:  # keys of padded tokens are never attended
        scores = scores.masked_fill(~mask[:, None, None, :], float('-inf'))
    out = scores.softmax(-1) @ v
    if mask is not None:  # padded queries: fully masked in v2 -> defined here as 0
        out = out.masked_fill(~mask[:, None, :, None], 0.0)
    return out.transpose(1, 2).reshape(bsz, n, width) @ sd[f'{p}.attn.out_proj.weight'].T


def _block(sd, p, x, heads, rope, mask):
    h = _rms_norm(x, sd[f'{p}.norm1.weight'])
    v, g = (h @ sd[f'{p}.ffn.fc1.weight'].T).chunk(2, -1)
    ffn = (F.silu(g) * v) @ sd[f'{p}.ffn.fc2.weight'].T
    return x + sd[f'{p}.layer_scale.gamma'] * (_attention(sd, p, h, heads, rope, mask) + ffn)


def _tower(sd, prefix, x, heads, patch_dict, use_mask):
    sd = {k: v.to(x.dtype) for k, v in sd.items()}
    rope = _rope_tables(patch_dict['row_idx'], patch_dict['col_idx'], x.shape[-1] // heads)
    mask = patch_dict['patch_mask'].bool() if use_mask else None
    depth = len({k.split('.')[1] for k in sd if k.startswith(prefix + '.')})
    for i in range(depth):  # depth from the weights: depth overrides need no config change
        x = _block(sd, f'{prefix}.{i}', x, heads, rope, mask)
    return x, sd


def v2_encode(encoder_sd, variant_cfg, patch_dict, use_mask=True, dtype=torch.float32):
    """patch dict -> z (B, L, c) (values at padded positions are meaningless)."""
    cfg = _cfg(variant_cfg)
    x = patch_dict['patches'].to(dtype)
    x = x @ encoder_sd['patch_embed.weight'].to(dtype).T + encoder_sd['patch_embed.bias'].to(dtype)
    x, sd = _tower(encoder_sd, 'encoder_blocks', x, cfg['encoder_heads'], patch_dict, use_mask)
    code = x @ sd['to_code.weight'].T + sd['to_code.bias']
    return F.layer_norm(code.float(), code.shape[-1:], eps=_EPS).to(dtype)


def v2_decode(decoder_sd, variant_cfg, z, patch_dict, use_mask=True, dtype=torch.float32):
    """z (B, L, c) -> pixel patches (B, L, 3p²)."""
    cfg = _cfg(variant_cfg)
    x = z.to(dtype) @ decoder_sd['decoder_embed.weight'].to(dtype).T
    x = x + decoder_sd['decoder_embed.bias'].to(dtype)
    x, sd = _tower(decoder_sd, 'decoder_blocks', x, cfg['decoder_heads'], patch_dict, use_mask)
    return x @ sd['to_pixels.weight'].T + sd['to_pixels.bias']


# ----------------------------------------------------------------------------- helpers
def _prepare(variant, images, max_tokens, resize):
    cfg = _cfg(variant)
    if resize:
        images = [v2_resize_to_budget(img, cfg['patch'], max_tokens) for img in images]
    return cfg, v2_patchify(images, cfg['patch'], max_tokens)


@torch.no_grad()
def v2_latents(encoder_sd, variant, images, max_tokens=None, resize=False, **kw):
    """List of images -> list of (c, grid_rows, grid_cols) latent maps."""
    cfg, pd = _prepare(variant, images, max_tokens, resize)
    z = v2_encode(encoder_sd, cfg, pd, **kw)
    return [_scatter_grid(z, pd, b).permute(2, 0, 1) for b in range(len(images))]


@torch.no_grad()
def v2_reconstruct(encoder_sd, decoder_sd, variant, images, max_tokens=None, resize=False,
                   **kw):
    """List of (3, H, W) images in [-1, 1] -> list of reconstructions (unclamped)."""
    cfg, pd = _prepare(variant, images, max_tokens, resize)
    z = v2_encode(encoder_sd, cfg, pd, **kw)
    return v2_unpatchify(v2_decode(decoder_sd, cfg, z, pd, **kw), pd, cfg['patch'])
