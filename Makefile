# Quick start: `make demo` runs the main example, `make test` runs the test suite.
# Both create .venv on first use. TORCH_SPEC installs the small CPU build first so
# that `torch>=2.2` in pyproject.toml pulls nothing larger; override it for a GPU:
#   make test TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu124"
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs
DOCS_FLAGS ?= --strict

.PHONY: demo test lint bench docs examples clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py

test: $(STAMP)
	$(BIN)/ruff check sklearn_seq tests examples benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check sklearn_seq tests examples benchmarks
	$(BIN)/ruff format --check sklearn_seq tests examples benchmarks
	$(BIN)/lint-imports

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

# builds docs/_build/html offline (runs the examples at small size for the gallery)
docs: $(DOCS_STAMP)
	PYTHON=$(BIN)/python bash docs/build.sh $(DOCS_FLAGS)

examples: $(STAMP)
	SKLEARN_SEQ_SMALL=1 MPLBACKEND=Agg $(BIN)/python examples/run_all.py

# full-size benchmarks (about 3 hours on 2 cores; bench_parity.py alone about
# 1.5 h; bench_scaling.py 10 minutes, redrawing docs/images/scaling_curves.png);
# bench_ucr.py, bench_parity.py and bench_bn_ablation.py read the
# UCR/UEA data sets that ship inside aeon, and bench_peers.py compares with
# pytorch-crf and pytorch-metric-learning, all installed by the `bench` extra
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache docs/_build docs/generated docs/auto_examples
