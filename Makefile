# plb_mm: the two quick-start commands (see README.md) and the set-up they share.
# `make demo` and `make test` install the environment first when it is missing.
PY := .venv/bin/python

.PHONY: install demo test

install:
	bash tools/misc/install.sh

demo: install
	$(PY) tools/train.py configs/quickstart/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py

test: install
	$(PY) -m pytest tests -q
