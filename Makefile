# comms: every target creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help run test lint check bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) ## Create the database, import content/ and serve on 127.0.0.1:5000
	$(BIN)/comms serve --host 127.0.0.1 --port 5000

test: $(STAMP) ## Run the whole test suite, then lint and type-check
	$(BIN)/pytest -q $(PYTEST_ARGS)
	$(BIN)/ruff check comms tests bench tools
	$(BIN)/ruff format --check comms tests bench tools
	$(BIN)/mypy

lint: $(STAMP) ## Lint and type-check only
	$(BIN)/ruff check comms tests bench tools
	$(BIN)/ruff format --check comms tests bench tools
	$(BIN)/mypy

check: $(STAMP) ## EU visibility and report PDF checks on a fresh import of content/
	dir=$$(mktemp -d) && export COMMS_INSTANCE_PATH=$$dir && \
	$(BIN)/comms init-db >/dev/null && $(BIN)/comms import content >/dev/null && \
	$(BIN)/comms check; status=$$?; rm -rf $$dir; exit $$status

bench: $(STAMP) ## Run the benchmarks (minutes; prints figures)
	$(BIN)/python bench/catalogue.py

clean: ## Remove the venv and the development database
	rm -rf $(VENV) instance
