# dedup — every target creates what it needs (.venv, installs) itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
OUT ?= out

.PHONY: run test lint bench bench-corpus clean-out venv bytecode

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,parquet,bench,ray]'
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

venv: $(STAMP)

# dedup's own bytecode, compiled ahead: with PYTHONDONTWRITEBYTECODE set (as on this project's
# machines) an editable install would compile every module from source at each start (~0.14 s);
# compileall recompiles only what changed
bytecode: $(STAMP)
	@$(PY) -m compileall -q dedup

## make run: scan the bundled fixtures (seed pages + BBC sample) and print the report, then clean
## them into $(OUT)/clean and print what changed (every document: $(OUT)/clean/manifest.jsonl)
run: bytecode
	$(VENV)/bin/dedup scan fixtures/seeds fixtures/bbc
	@echo
	$(VENV)/bin/dedup clean fixtures/seeds fixtures/bbc -o $(OUT)/clean

## make test: the whole test suite (unit, CLI, golden, doctests)
test: bytecode
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check dedup tests bench

## make bench: throughput, recall/precision and baselines (datasketch, rensa) in one run
bench: bytecode
	$(PY) bench/run.py

## make bench-corpus CORPUS=a.jsonl[,b.jsonl]: issue 7's ratios (document level against rensa and
## the floor, full scan against the floor) on JSONL files of your own ("text" field)
ifneq ($(filter bench-corpus,$(MAKECMDGOALS)),)
ifeq ($(CORPUS),)
$(error usage: make bench-corpus CORPUS=path.jsonl[,path2.jsonl])
endif
endif
bench-corpus: bytecode
	DEDUP_BENCH_CORPUS=$(CORPUS) $(PY) bench/run.py corpus

clean-out:
	rm -rf $(OUT)
