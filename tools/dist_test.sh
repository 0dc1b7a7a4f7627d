#!/usr/bin/env bash
# Distributed evaluation through torchrun (one node or several):
#   bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py options]
# NNODES, NODE_RANK, MASTER_ADDR and PORT come from the environment. NCCL is
# used when CUDA is available, gloo (CPU processes) otherwise.
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
# The checkout's .venv (tools/misc/install.sh) unless PYTHON or an active venv says otherwise.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "$PYTHON" ]; then
    if [ -z "$VIRTUAL_ENV" ] && [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python; fi
fi

PYTHONPATH="$ROOT":$PYTHONPATH \
$PYTHON -m torch.distributed.run \
    --nnodes=$NNODES --node_rank=$NODE_RANK --master_addr=$MASTER_ADDR \
    --nproc_per_node=$NPROC --master_port=$PORT \
    "$(dirname "$0")/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
