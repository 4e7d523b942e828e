# S-B/16 with an exponential moving average of the weights (EMAHook), used for
# validation and saved in the checkpoints next to the raw weights.
_base_ = ['./s-b_16_256p.py']

custom_hooks = [
    dict(type='EMAHook', ema_type='ExponentialMovingAverage', momentum=1e-4, update_buffers=True,
         priority=49),
]
