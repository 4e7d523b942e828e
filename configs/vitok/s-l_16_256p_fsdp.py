# S-L/16 with FSDP (parameters, gradients and optimizer state sharded across GPUs),
# through MMEngine's FlexibleRunner, for decoders too large to replicate.
#   bash tools/dist_train.sh configs/vitok/s-l_16_256p_fsdp.py 8
_base_ = ['./s-l_16_256p.py']

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(auto_wrap_policy=dict(
        type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
        min_num_params=int(1e7))),
)
# FlexibleRunner's own checkpoint logic; the crash-safe VitokRunner is not used here.
optim_wrapper = dict(type='OptimWrapper', _delete_=True,
                     optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.95), weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
model = dict(encoder=dict(grad_checkpointing=True), decoder=dict(grad_checkpointing=True))
