# Two commands do all set-up: `make demo` and `make test`. Each creates .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo report report-png test lint format bench soak definition clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: emulator + `meltano --environment demo run ... target-duckdb dbt-duckdb:run`
## into output/demo.duckdb, then a summary and output/demo-report.html
demo: $(STAMP)
	$(BIN)/python -m demo

## report: output/report.html from the GEO marts in the warehouse (WAREHOUSE=path)
WAREHOUSE ?= output/warehouse.duckdb
report: $(STAMP)
	$(BIN)/python -m report --warehouse $(WAREHOUSE) --output output/report.html

## report-png: REPORT (default output/report.html) as headless Chromium draws it,
## in output/report.png, to look at it as a person would (Debian: apt-get install chromium)
REPORT ?= output/report.html
report-png: $(STAMP)
	$(BIN)/python -m report.screenshot $(REPORT) $(REPORT:.html=.png)

## test: ruff and the whole pytest suite (warnings are errors)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: throughput, rate-ceiling, limit-learning and memory figures (not tests); 10 s windows
bench: $(STAMP)
	$(BIN)/python -m bench --quick

## soak: 30 simulated days of post, collect and dbt through seeded faults; invariants
SEED ?= 1
soak: $(STAMP)
	$(BIN)/python -m soak --seed $(SEED) --days 30

## definition: tap-dataforseo-gemini.yml, hub/ and meltano.yml's extractor settings from --about
definition: $(STAMP)
	$(BIN)/python -m hub_definition

clean:
	rm -rf $(VENV) .meltano output plugins .pytest_cache .ruff_cache transform/target transform/logs
