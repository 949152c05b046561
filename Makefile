# Two entry points for a fresh machine with Python 3.11+:
#   make demo   load the bundled sample, build the dbt models, print a summary
#   make test   run the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint format test-slow bench bench-smoke clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/grouplake run data/sample

# the test suite includes the Spark tests (tests/test_spark.py; they skip without Java)
$(BIN)/.spark-installed: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,spark]'
	touch $@

# the linters first: a violation fails `make test` (and CI) before the suite runs
test: $(BIN)/.spark-installed lint
	$(BIN)/python -m pytest -m "not slow"

# ruff (lint + format check) over the Python; sqlfluff (.sqlfluff: dbt templater, DuckDB dialect)
# over the dbt models and singular tests, compiled against an in-memory DuckDB (no warehouse needed)
lint: $(BIN)/.installed
	$(BIN)/ruff check loader tests bench
	$(BIN)/ruff format --check loader tests bench
	GROUPLAKE_WAREHOUSE=:memory: $(BIN)/sqlfluff lint dbt_project

# rewrite the tree in the project's style (what `make lint` checks)
format: $(BIN)/.installed
	$(BIN)/ruff check --fix loader tests bench
	$(BIN)/ruff format loader tests bench

test-slow: $(BIN)/.spark-installed
	$(BIN)/python -m pytest -m slow

$(BIN)/.bench-installed: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

# The full benchmark of docs/benchmarks.md (about 15 minutes; data under bench/out/, ~3.5 GB)
bench: $(BIN)/.bench-installed
	$(BIN)/python -m bench.run --events 1000000 --sizes 250000,1000000,4000000

bench-smoke: $(BIN)/.bench-installed
	$(BIN)/python -m bench.run --events 20000 --smoke

clean:
	rm -rf data/warehouse.duckdb data/warehouse.duckdb.wal data/warehouse.duckdb.lock data/warehouse.duckdb.dbt data/lake data/lake.spark \
	       dbt_project/target dbt_project/logs build dist
