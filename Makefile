# plb_mm: the two quick-start commands (see README.md) and the set-up they share.
# `make demo` and `make test` install the environment first when it is missing.
PY := .venv/bin/python
# The suite runs as TEST_WORKERS pytest processes with one torch thread each:
# on 2 cores two one-thread processes beat one two-thread process (measured,
# docs/performance.md). Tests of one module stay on one worker (loadscope).
TEST_WORKERS ?= 2

.PHONY: install demo test

install:
	bash tools/misc/install.sh

demo: install
	$(PY) tools/grid.py run configs/grids/quickstart.py

test: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest tests -q -n $(TEST_WORKERS) --dist loadscope --durations=15
