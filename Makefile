# One-command entry points. `make repro` sets up and runs the whole pipeline;
# `make test` sets up and runs every test (CI runs exactly this).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# JupyterLab reads <sys.prefix>/share/jupyter/lab/settings/overrides.json: no news feed, no update check
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
LAB_OVERRIDES := {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export DVC_NO_ANALYTICS := 1
# one BLAS thread: OpenBLAS threads spin and collide on small shared machines (see README)
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup repro test test-fast lab bench lock deps clean-staging

setup: $(STAMP) $(LAB_SETTINGS)

# The lock is complete (pip freeze --all): no resolver (--no-deps; pip check confirms). Byte-compiling stays on:
# with PYTHONDONTWRITEBYTECODE set (this machine sets it) a --no-compile install recompiles every module in every
# process, which made a fresh-clone `make test` 80 s slower.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found " + sys.version.split()[0] + ")")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip check --disable-pip-version-check
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(LAB_SETTINGS): $(STAMP) Makefile
	mkdir -p $(@D)
	printf '%s\n' '$(LAB_OVERRIDES)' > $@

# Two stages at a time in dependency order (python -m sparseimg repro; plain `dvc repro` runs one at a time and
# gives the same numbers): one log per stage in reports/.logs/, then a `dvc repro` that must find nothing to do.
REPRO_JOBS ?= 2
repro: setup
	$(BIN)/python -m sparseimg repro --jobs $(REPRO_JOBS)
	$(BIN)/dvc repro

# --no-loadscope-reorder: xdist otherwise queues files by their number of tests, so the pipeline test (two tests,
# four of the five minutes) started last; tests/conftest.py orders the longest files first instead.
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --nbval --nbval-sanitize-with tests/sanitize.cfg --nbval-current-env \
	  --durations=20

test-fast: setup
	$(BIN)/python -m pytest tests -m "not slow" -n 2

# news_url=None and NeverCheckForUpdate: the server never fetches the feed nor asks to (no pop-up).
# The URL line: Jupyter masks a token it did not generate itself (`?token=...`), so make prints the URL,
# token included, on the first free port from LAB_PORT (the server may not move: port_retries=0).
LAB_PORT ?= 8888
define LAB_FREE_PORT
import socket, sys
for port in range(int(sys.argv[1]), 65536):
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        sock.close()
    print(port)
    break
endef
export LAB_FREE_PORT
lab: setup
	@port=$$($(BIN)/python -c "$$LAB_FREE_PORT" $(LAB_PORT)) && \
	token=$${JUPYTER_TOKEN:-$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))')} && \
	echo "JupyterLab: http://127.0.0.1:$$port/lab?token=$$token" && \
	exec $(BIN)/jupyter lab --ip=127.0.0.1 --port=$$port --ServerApp.port_retries=0 --no-browser --allow-root \
	  --notebook-dir=notebooks --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	  --IdentityProvider.token=$$token

bench: setup
	$(BIN)/dvc repro benchmark_sporco

# rfc3987-syntax (and lark, its only user) stay out: an optional extra of jsonschema (jupyter-events asks for
# jsonschema[format-nongpl]; pip check does not check extras) whose import compiles an Earley grammar, 0.83 s in
# every process that imports nbformat (python -m sparseimg also blocks it: sparseimg/__main__.py; pytest with
# nbval and the lab server did not). Without it jsonschema only skips the "iri" format check.
lock:
	$(BIN)/python -m pip freeze --all --exclude-editable | grep -viE '^(pip|wheel|lark|rfc3987-syntax)==' | sort -f \
	  | sed '1i # Exact versions installed by `make setup` (pip, Python 3.11). Regenerate with `make lock`.' > requirements.lock

# rewrite the deps lists of dvc.yaml from the import closure (`--check` in the tests)
deps: setup
	$(BIN)/python -m sparseimg deps

clean-staging:
	rm -rf reports/.staging
