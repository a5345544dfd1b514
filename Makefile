# comms: every target creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: help run test lint check bench lighthouse translations clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# axe-core for the browser accessibility tests (package.json; they skip without it)
# and Lighthouse for bench/lighthouse.py.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: the browser accessibility tests will skip"; fi

run: $(STAMP) ## Create the database, import content/ and serve on 127.0.0.1:5000
	$(BIN)/comms serve --host 127.0.0.1 --port 5000

test: $(STAMP) $(NODE_STAMP) ## Run the whole test suite, then lint and type-check
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

bench: $(STAMP) ## Run every benchmark (about an hour; prints figures; see bench/README.md)
	$(BIN)/python bench/catalogue.py
	$(BIN)/python bench/feeds.py
	$(BIN)/python bench/videos.py
	$(BIN)/python bench/newsletter.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/counting.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/static_export.py

lighthouse: $(STAMP) $(NODE_STAMP) ## Lighthouse scores of every public page, phone and desktop (~5 min)
	$(BIN)/python bench/lighthouse.py

translations: $(STAMP) ## Extract interface strings, update and compile the .po files
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext --no-location --sort-output \
		--ignore-dirs ".* node_modules" \
		--project comms --version 0.1 -o comms/translations/messages.pot .
	$(BIN)/pybabel -q update -i comms/translations/messages.pot -d comms/translations \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel -q compile --statistics -d comms/translations

clean: ## Remove the venv and the development database
	rm -rf $(VENV) instance
