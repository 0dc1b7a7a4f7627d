# plb_mm: the two quick-start commands (see README.md) and the set-up they share.
# `make demo` and `make test` install the environment first when it is missing.
PY := .venv/bin/python

.PHONY: install demo test

install:
	bash tools/misc/install.sh

demo: install
	$(PY) tools/grid.py run configs/grids/quickstart.py

test: install
	$(PY) -m pytest tests -q
