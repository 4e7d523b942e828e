# Runtime shared by every vitok_mm config.
default_scope = 'vitok_mm'
# Every run feature (atomic checkpoints, random states, LR scaling by the global batch,
# the non-finite guard) lives in a hook, loop or optimizer wrapper, so MMEngine's plain
# Runner and FlexibleRunner (FSDP, s-l_16_256p_fsdp.py) both keep them.
runner_type = 'Runner'

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
    # The project's hooks. Keyed, so a config changes one by name, e.g.
    # default_hooks = dict(visualization=dict(interval=1100)); MMEngine registers them
    # after its own and orders all hooks by priority. Only MMEngine's own keys may be
    # set to None; to turn the grids off during training set visualization.interval=0.
    # Python, numpy and torch generator states saved in checkpoints and restored on
    # resume, so a resumed run continues the same random streams (VERY_LOW).
    random_state=dict(type='RandomStateHook'),
    # Original / reconstruction / error grids of fixed val images, added to the
    # Visualizer: local files, TensorBoard with TensorboardVisBackend (LOW).
    visualization=dict(type='ReconstructionVisualizationHook', interval=5000, num_images=8),
    # Rate and ETA of training, validation and test passes (BELOW_NORMAL).
    progress_bar=dict(type='ProgressBarHook'),
)

log_processor = dict(by_epoch=False, window_size=50)
log_level = 'INFO'
# Add dict(type='TensorboardVisBackend') for TensorBoard (the tensorboard package, in the
# tests extra): scalars and grids go to <work_dir>/<time>/vis_data/events.out.tfevents.*.
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

randomness = dict(seed=0, deterministic=False)
load_from = None
resume = False
