# Runtime shared by every vitok_mm config.
default_scope = 'vitok_mm'
runner_type = 'VitokRunner'  # accumulation-aware LR scaling, crash-safe checkpoints

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to gloo without CUDA
)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
# Saves/restores python, numpy and torch generator states so a resumed run continues
# the same random streams.
# The visualization hook adds original / reconstruction / error grids of fixed val
# images to the Visualizer (local files; TensorBoard with TensorboardVisBackend).
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='ReconstructionVisualizationHook', interval=5000, num_images=8),
    dict(type='ProgressBarHook'),  # rate and ETA of training, validation and test passes
]

log_processor = dict(by_epoch=False, window_size=50)
log_level = 'INFO'
# Add dict(type='TensorboardVisBackend') for TensorBoard (needs the tensorboard package).
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

randomness = dict(seed=0, deterministic=False)
load_from = None
resume = False
