# Two-command quick start:  `make run` (set up + default sweep)  and  `make test` (set up + tests).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2

.PHONY: setup run test test-fast lint docs dryrun paper validate bench clean browser

setup: $(STAMP)

# Exact pins (requirements.lock) first, then the package itself in editable mode.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Headless Chromium for the report test (tests/test_report_browser.py): Debian's chromium and
# chromium-driver. Installs them where they are missing and root with apt-get can; elsewhere it says
# why and the test skips with that reason (under CI, where root and apt are there, the test runs).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then \
	  echo "browser: $$(/usr/bin/chromium --version 2>/dev/null | head -1) present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null && \
	  echo "browser: installed $$(/usr/bin/chromium --version 2>/dev/null | head -1)"; \
	else \
	  echo "browser: chromium is not installed and cannot be here (needs root and apt-get): the report test will skip"; \
	fi

run: setup
	$(BIN)/snakemake --cores $(CORES) --profile workflow/profiles/default

# What CI runs (.ci/run): the lint and format checks of the code and the workflow, the API
# reference (no warning allowed), then the suite.
test: setup lint docs
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not slurm"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules

# The API reference from the docstrings (pdoc) into build/api/; Python warnings are errors.
DOC_MODULES := scaling_dmft scaling_dmft.points scaling_dmft.dmft scaling_dmft.simulate scaling_dmft.tables
docs: setup
	rm -rf build/api
	$(BIN)/python -W error -m pdoc --docformat google --output-directory build/api $(DOC_MODULES)

dryrun: setup
	$(BIN)/snakemake -n --cores $(CORES)

paper: setup
	$(BIN)/snakemake paper --cores $(CORES) --profile workflow/profiles/default

validate: setup
	$(BIN)/snakemake validate --cores $(CORES) --profile workflow/profiles/default

bench: setup
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/bench_simulate.py
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/bench_dmft.py
	$(BIN)/python bench/bench_dryrun.py

clean:
	rm -rf results/default results/paper results/validate logs benchmarks .snakemake build
