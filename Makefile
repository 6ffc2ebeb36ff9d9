# Set-up and entry points. `make run` and `make test` each create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= all

.PHONY: run test lint format dag clean bench

$(BIN)/snakemake: envs/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r envs/requirements.txt
	touch $@

venv: $(BIN)/snakemake

# Run the workflow end to end on the default config (the synthetic data set).
run: $(BIN)/snakemake
	$(BIN)/snakemake --cores $(CORES)

# Unit tests and end-to-end Snakemake runs; see tests/README.md for what needs ../shared/data.
test: $(BIN)/snakemake
	$(BIN)/pytest

lint: $(BIN)/snakemake
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/ruff check workflow tests tools
	$(BIN)/ruff format --check workflow tests tools
	$(BIN)/snakemake --lint --cores 1

format: $(BIN)/snakemake
	$(BIN)/snakefmt Snakefile workflow/rules
	$(BIN)/ruff format workflow tests tools
	$(BIN)/ruff check --fix workflow tests tools

# Benchmark on synthetic data of the DCASE 2025 Task 2 shape and write
# docs/benchmarks.md; not part of `make test`. SCALE=0.02 is a run of minutes.
SCALE ?= 1
bench: $(BIN)/snakemake
	$(BIN)/python tools/benchmark.py --scale $(SCALE)

# Draw the job graph of the current config as SVG (needs Graphviz's dot).
dag: $(BIN)/snakemake
	$(BIN)/snakemake --rulegraph | dot -Tsvg > dag.svg

clean:
	rm -rf results logs resources .snakemake
