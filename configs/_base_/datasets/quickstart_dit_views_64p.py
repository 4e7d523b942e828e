# What the DiT quick start encodes: views of the 16 training photos of the image quick
# start, each photo its own class (the label list tools/quickstart.sh dit writes), at the
# stage-1 tokenizer's 64x64. Crops keep at least half of a photo, so that its views still
# look like it (with 30%, a linear probe told fresh real views apart 77% of the time,
# with half 88%); each view is seeded, so the cache is the same on every run.
_base_ = ['./quickstart_photos_64p.py']
default_scope = 'vitok_mm'

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResizedCrop', size=64, scale=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
# ann_file (one "name label" line per photo) is set by the quick start.
train_dataloader = dict(dataset=dict(pipeline=train_pipeline, cache_images=True))
