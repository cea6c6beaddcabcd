# Two set-up commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hospital-or demo --out demo_output

test: $(STAMP)
	$(BIN)/ruff check hospital_or solvers tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check hospital_or solvers tests benchmarks

bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/vns_benchmark.py solomon --time-limit 10 \
		--instances C101 C201 R101 R201 RC101 RC201

clean:
	rm -rf $(VENV) demo_output .pytest_cache
