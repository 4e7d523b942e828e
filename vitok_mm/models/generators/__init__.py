"""Generators that model tokenizer latents (class-conditional DiT and its relatives).

Empty for now. A generator is a registered ``BaseModel`` in ``MODELS`` that composes the
same ``layers/`` as the tokenizers: its blocks are registered blocks (a DiT adaLN-Zero
block takes ``x``, the RoPE tables and ``cond=``, the conditioning vector a tower passes
through; see ``layers/block.py``), and its training objective and samplers come from
``models/diffusion/``. It trains on cached latents and never imports the engine.
"""
