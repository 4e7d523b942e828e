# ViTok S-L/16: the S-B/16 recipe with an L decoder (1152 wide, 24 blocks, 16 heads).
_base_ = ['./s-b_16_256p.py']

model = dict(decoder=dict(width=1152, depth=24, num_heads=16))
