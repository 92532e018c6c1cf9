# chatrec: `make run` sets up and serves the page; `make test` sets up and runs the tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.chatrec-installed
LLAMA_FIX := --no-cache-dir --force-reinstall --no-deps llama-cpp-python==0.3.36 --config-settings=cmake.args=-DGGML_NATIVE=OFF

.PHONY: setup run test test-fast lint bench bench-import bench-deploy services index check clean browser

setup: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install -r requirements.txt
	@# a llama.cpp build with AMX segfaults on this kind of CPU; a cached wheel may be such a build
	@if $(BIN)/python -c "import llama_cpp,sys; sys.exit('AMX = 1' in llama_cpp.llama_print_system_info().decode())"; then \
		echo "llama.cpp build ok (no AMX)"; \
	else \
		echo "llama.cpp was built with AMX: rebuilding without it"; \
		CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install $(LLAMA_FIX); \
	fi
	touch $(STAMP)

index: setup
	$(BIN)/python -m chatrec index movies games

run: setup
	$(BIN)/python -m chatrec index movies
	GRADIO_ANALYTICS_ENABLED=False $(BIN)/python app.py

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# PostgreSQL (Debian package, loopback) for tests/test_deploy.py; started if needed
test: setup browser
	CHATREC_TEST_DATABASE_URL=$${CHATREC_TEST_DATABASE_URL:-$$(scripts/ci_services.sh | tail -1)} \
		$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not server and not browser"

lint: setup
	$(BIN)/python -m ruff check chatrec tests scripts app.py
	$(BIN)/python -m mypy

check: setup
	$(BIN)/python -m chatrec check

bench: setup
	$(BIN)/python -m chatrec.eval bench

bench-import: setup
	$(BIN)/python -m chatrec.eval.bench_import

services:
	scripts/ci_services.sh

bench-deploy: setup
	CHATREC_TEST_DATABASE_URL=$$(scripts/ci_services.sh | tail -1) $(BIN)/python -m chatrec.eval.bench_deploy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
