#!/usr/bin/env bash
# PLB overhead: a Faster R-CNN training step without PLB and with each PLB
# position, side by side in one process (benchmarks/train_step.py).
#   bash benchmarks/plb_overhead.sh [r50|tiny] [train_step.py options]
# r50 (default): the R50-FPN configs of configs/plb (batch 8 at 800 on a GPU:
#   pass --batch-size 8 --scale 800 800); tiny: the CPU-friendly ones.
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python)}
MODEL=${1:-r50}; shift
if [ "$MODEL" = tiny ]; then
    pre=configs/plb/faster-rcnn_r18_fpn_tiny; post=12e_synthetic-cells.py
else
    pre=configs/plb/faster-rcnn_r50_fpn; post=15e_synthetic-cells.py
fi
exec $PYTHON benchmarks/train_step.py ${pre}_${post} \
    ${pre}_plb1c_${post} ${pre}_plb1b_${post} ${pre}_plb2c_${post} ${pre}_plb2b_${post} \
    ${pre}_plb1c-plb1b_${post} "$@"
