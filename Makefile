# Credence: `make run` serves the demo site, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# `make run PORT=8123` serves on another port. Unless SITE_URL is set, the development
# settings build every badge link (QR code, printed URL, e-mail, credential id) from PORT.
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test setup syslibs demo lint format worker bench mutate clean messages

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory syslibs
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create the virtual environment and install the pinned dependencies

# WeasyPrint needs Pango and HarfBuzz. Without libharfbuzz-subset0 it silently falls back
# to fontTools for font subsetting, about five times slower, so we insist on it.
SYSLIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
syslibs: ## Make sure WeasyPrint's system libraries are present (Debian)
	@command -v dpkg-query >/dev/null || { echo "Not Debian: install Pango and HarfBuzz (with hb-subset) yourself."; exit 0; }; \
	missing=""; for p in $(SYSLIBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then \
	  echo "Installing WeasyPrint's system libraries:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "WeasyPrint needs these system libraries. Run this, then try again:" >&2; \
	  echo "    sudo apt-get install$$missing" >&2; exit 1; \
	fi

run: setup ## Set up, migrate, load the demo and serve http://127.0.0.1:8000 (PORT=8123 for another)
	$(BIN)/python manage.py migrate --noinput
	PORT=$(PORT) $(BIN)/python manage.py load_demo
	PORT=$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup ## Run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: setup ## Run a Celery worker (needs REDIS_URL; give it the same PORT as make run)
	PORT=$(PORT) $(BIN)/celery -A lms worker -l info --concurrency 2

bench: setup ## Run the benchmarks in bench/
	@failed=""; for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || failed="$$failed $$f"; done; \
	if [ -n "$$failed" ]; then echo "targets missed:$$failed"; exit 1; fi

# Not in CI: it runs each mutant's tests again, minutes per module. Scores per module at the end;
# tests/mutation/equivalent.txt lists the mutants no test can tell apart. mutants/ is its cache.
mutate: setup ## Mutation-test the rule modules (MODULE=courses/grading.py for one)
	$(BIN)/python tests/mutation/run.py $(MODULE)

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) db.sqlite3 media staticfiles var mutants

messages: setup ## Refresh the translation catalogues from the source, then compile them (needs gettext)
	$(BIN)/python manage.py makemessages --all --ignore=tests --ignore=bench --ignore=staticfiles --ignore=media --ignore=node_modules
	$(BIN)/python manage.py compilemessages --ignore=.venv
