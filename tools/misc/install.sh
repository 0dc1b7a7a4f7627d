#!/usr/bin/env bash
# Idempotent set-up of plb_mm's Python environment in the checkout.
#
#   bash tools/misc/install.sh            # creates .venv (or $PLB_VENV) and installs
#
# Steps: venv -> torch (respects a torch you already have) -> build tools ->
# mmengine -> mmcv 2.1.0 built from source with ops (CPU ops, or CUDA ops when
# torch is a CUDA build and nvcc is present) -> mmdet 3.3.0 + runtime deps ->
# plb_mm (editable). Each step is skipped when already satisfied; pip's wheel
# cache makes a rebuild of mmcv take seconds after the first ~8 minutes.
#
# Environment: PLB_VENV (venv path, default .venv), PLB_TORCH (pip spec for torch,
# default torch==2.13.0), PLB_PYTHON (interpreter for the venv, default python3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
VENV="${PLB_VENV:-.venv}"
TORCH_SPEC="${PLB_TORCH:-torch==2.13.0}"
PYTHON="${PLB_PYTHON:-python3}"
STAMP="$VENV/.plb_mm_installed"

step() { echo "[install] $*"; }
fail() { echo "[install] FAILED: $*" >&2; exit 1; }

# The stamp records the requirement files it was made from: edit them and the
# next run re-checks every step.
want=$(cat requirements/*.txt pyproject.toml | sha1sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    step "environment $VENV is up to date"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    sys_opt=""
    if "$PYTHON" -c "import torch" 2>/dev/null; then
        # Respect the torch the user already has (CUDA builds included).
        sys_opt="--system-site-packages"
        step "found torch $("$PYTHON" -c 'import torch; print(torch.__version__)') in $PYTHON: the venv will see it"
    fi
    step "creating virtual environment $VENV"
    "$PYTHON" -m venv $sys_opt "$VENV" || fail "python -m venv $VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --disable-pip-version-check -c requirements/constraints.txt)

if "$PY" -c "import torch" 2>/dev/null; then
    step "torch $("$PY" -c 'import torch; print(torch.__version__)') already present"
else
    step "installing $TORCH_SPEC"
    "${PIP[@]}" "$TORCH_SPEC" || fail "pip install $TORCH_SPEC"
fi

step "installing build tools (setuptools<81: mmcv's setup.py imports pkg_resources)"
"${PIP[@]}" "setuptools<81" wheel ninja "numpy<2" \
    || fail "pip install build tools"

step "installing mmengine 0.10.7"
"${PIP[@]}" mmengine==0.10.7 || fail "pip install mmengine==0.10.7"

if "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
    step "mmcv 2.1.0 with ops already present"
else
    if "$PY" -c "import torch, sys; sys.exit(0 if torch.version.cuda else 1)" && command -v nvcc >/dev/null; then
        export FORCE_CUDA=1
        step "building mmcv 2.1.0 from source with CUDA ops (several minutes; cached afterwards)"
    else
        step "building mmcv 2.1.0 from source with CPU ops (~8 min on 2 cores the first time; pip caches the wheel)"
    fi
    MMCV_WITH_OPS=1 "${PIP[@]}" --no-build-isolation mmcv==2.1.0 \
        || fail "building mmcv 2.1.0 (needs a C++ compiler, torch, setuptools<81 and wheel)"
    "$PY" -c "from mmcv.ops import nms, RoIAlign" || fail "mmcv built but its ops do not import"
fi

step "installing mmdet 3.3.0 and runtime dependencies"
"${PIP[@]}" -r requirements/runtime.txt -r requirements/tests.txt \
    || fail "pip install -r requirements/runtime.txt"

step "installing plb_mm (editable)"
"${PIP[@]}" --no-build-isolation --no-deps -e . || fail "pip install -e ."

"$PY" - <<'PY' || fail "the installed stack does not import"
import torch, mmcv, mmengine, mmdet, plb_mm
from mmcv.ops import nms
print(f'[install] torch {torch.__version__} (cuda: {torch.cuda.is_available()}) | '
      f'mmengine {mmengine.__version__} | mmcv {mmcv.__version__} | '
      f'mmdet {mmdet.__version__} | plb_mm {plb_mm.__version__}')
PY
echo "$want" > "$STAMP"
step "done: $VENV"
