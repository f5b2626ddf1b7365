# The two commands a newcomer needs are `make run` and `make test`; the rest serve them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench clean

# `make bench` runs the ingest bench with BENCH_ARGS, then the end-to-end bench with
# BENCH_E2E_ARGS, which by default takes --quick / --strict from BENCH_ARGS.
BENCH_E2E_ARGS ?= $(filter --quick --strict,$(BENCH_ARGS))

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The embedded quickstart keeps its secret key (destination settings are encrypted with it)
# in .switchboard-secret, made once; set SWITCHBOARD_SECRET_KEY to use your own.
SECRET_FILE := .switchboard-secret

$(SECRET_FILE):
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(32))" > $(SECRET_FILE)
	chmod 600 $(SECRET_FILE)

run: $(STAMP) $(SECRET_FILE)
	export SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS=$${SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS:-true}; \
	export SWITCHBOARD_SECRET_KEY=$${SWITCHBOARD_SECRET_KEY:-$$(cat $(SECRET_FILE))}; \
	$(BIN)/switchboard migrate && $(BIN)/switchboard serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }
	$(BIN)/python -m bench.ingest $(BENCH_ARGS)
	$(BIN)/python -m bench.e2e $(BENCH_E2E_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
