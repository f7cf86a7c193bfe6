#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
# Runs tools/test.py as GPUS Slurm tasks, one process each (--launcher slurm).
#   GPUS            total number of tasks (processes) [8]
#   GPUS_PER_NODE   GPUs requested per node (--gres=gpu:N), also the tasks per node [8];
#                   0 for a CPU partition: no GPU request at all, the tasks open a gloo group
#   TASKS_PER_NODE  tasks per node [GPUS_PER_NODE, or GPUS (one node) when GPUS_PER_NODE=0]
#   CPUS_PER_TASK   --cpus-per-task [5]
#   SRUN_ARGS       more srun options, e.g. "--time=2:00:00 --qos=normal"
#   PYTHON          the interpreter the tasks run [python]
if [ $# -lt 4 ]; then
    echo "usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] $0" \
         "PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
if [ "$GPUS_PER_NODE" = 0 ]; then
    GRES=""
    TASKS_PER_NODE=${TASKS_PER_NODE:-$GPUS}
else
    GRES="--gres=gpu:${GPUS_PER_NODE}"
    TASKS_PER_NODE=${TASKS_PER_NODE:-$GPUS_PER_NODE}
fi

set -x
PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    ${GRES} \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${TASKS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PYTHON" -u "$(dirname "$0")/test.py" "${CONFIG}" "${CHECKPOINT}" \
    --launcher="slurm" "${@:5}"
