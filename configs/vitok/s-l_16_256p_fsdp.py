# S-L/16 with FSDP (parameters, gradients and optimizer state sharded across GPUs),
# through MMEngine's FlexibleRunner, for decoders too large to replicate.
#   bash tools/dist_train.sh configs/vitok/s-l_16_256p_fsdp.py 8
_base_ = ['./s-l_16_256p.py']

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    # One checkpoint file with the whole model, gathered on the main process: every tool
    # reads it, and a run resumes on any number of processes. ('local' would write one
    # shard per process, in torch's ShardedTensor format.)
    state_dict_cfg='full',
    model_wrapper=dict(auto_wrap_policy=dict(
        type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
        min_num_params=int(1e7))),
)
# The schedule's GuardedOptimWrapper (bf16 autocast, non-finite guard) stays: under FSDP
# it clips by the norm over every process's gradient shards. Atomic checkpoints, random
# states and LR scaling by the global batch come from hooks and the loop, as for Runner.
model = dict(encoder=dict(grad_checkpointing=True), decoder=dict(grad_checkpointing=True))
