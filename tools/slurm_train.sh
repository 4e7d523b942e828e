#!/usr/bin/env bash
# Training under Slurm: one task per GPU, MMEngine reads the Slurm environment.
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args...]
# GPUS (default 8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), SRUN_ARGS tune the allocation.
#
# Preemption: Slurm sends SIGUSR1 PREEMPT_NOTICE seconds (default 120) before the time
# limit; every task then saves a checkpoint at the end of its iteration and exits with
# code 75. Inside a batch job (sbatch --requeue) the job is then requeued, and since the
# run always starts with --resume (the newest complete checkpoint in WORK_DIR, or a new
# run when there is none) the requeued job continues where it stopped.
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
PREEMPT_NOTICE=${PREEMPT_NOTICE:-120}
SRUN_ARGS=${SRUN_ARGS:-""}
PREEMPTED=75  # vitok_mm.engine.PREEMPTED_EXIT_CODE

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    --signal=USR1@"${PREEMPT_NOTICE}" \
    ${SRUN_ARGS} \
    python -u "$(dirname "$0")/train.py" "${CONFIG}" --work-dir="${WORK_DIR}" \
    --launcher="slurm" --resume "${@:5}"
code=$?
if [ "$code" -eq "$PREEMPTED" ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    scontrol requeue "$SLURM_JOB_ID"
fi
exit "$code"
