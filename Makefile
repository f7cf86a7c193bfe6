# Quick start:  make demo   |   make test
# Both set up the virtual environment .venv first (tools/misc/install_env.sh; idempotent).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install test test-fast demo clean

install:
	bash tools/misc/install_env.sh

test: install
	$(PYTHON) -m pytest tests $(PYTEST_ARGS)

test-fast: install
	$(PYTHON) -m pytest tests -m "not slow" $(PYTEST_ARGS)

demo: install
	$(PYTHON) tools/misc/demo.py

clean:
	rm -rf work_dirs/demo build dist *.egg-info mmuda/.mim
