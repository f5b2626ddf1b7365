# The two commands a newcomer needs are `make run` and `make test`; the rest serve them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast check bench clean

# `make bench` runs the ingest bench with BENCH_ARGS, the end-to-end bench with
# BENCH_E2E_ARGS, which by default takes --quick / --strict from BENCH_ARGS, then the
# mapping-language micro-benchmark (a few seconds).
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

# Test-only SDKs for tests/sdk, installed here so that no test installs anything: Segment's
# and RudderStack's Node and browser SDKs from npm (pinned by tests/sdk/node/package-lock.json),
# and segment-analytics-python 2.3.x in a folder of its own (it has 2.4's import name). Without
# npm, or offline, the SDK tests skip; CI (SWITCHBOARD_TEST_REQUIRE_BROWSER=1) fails them instead.
# `npm install` rather than `npm ci`: the lock cannot list the macOS/Windows builds of
# msgpackr-extract (deep in rudder-sdk-node's optional Redis queue) where the registry lacks
# them, and `npm ci` refuses such a lock; `npm install` still installs the locked versions.
SDK_NODE := tests/sdk/node
SDK_NODE_STAMP := $(SDK_NODE)/node_modules/.installed
SEGMENT_PYTHON_23 := segment-analytics-python==2.3.6
SDK_PY23 := $(VENV)/sdk/segment-analytics-python-2.3
SDK_PY23_STAMP := $(SDK_PY23)/.installed

$(SDK_NODE_STAMP): $(SDK_NODE)/package.json $(SDK_NODE)/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm not found: the Node and browser SDK tests will be skipped"; \
	elif (cd $(SDK_NODE) && npm install --ignore-scripts --no-audit --no-fund --loglevel=error); then \
	  touch $@; \
	else echo "npm install failed: the Node and browser SDK tests will be skipped"; fi

$(SDK_PY23_STAMP): $(STAMP)
	rm -rf $(SDK_PY23)
	$(BIN)/python -m pip install --quiet --target $(SDK_PY23) '$(SEGMENT_PYTHON_23)' \
	  && touch $@ || echo "$(SEGMENT_PYTHON_23) could not be installed: its tests will be skipped"

test: $(STAMP) $(SDK_NODE_STAMP) $(SDK_PY23_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast tier, while you work: everything but the tests marked `system` (real servers,
# processes, browsers, SDKs, faults, long fuzzing runs), so no SDK install is needed.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not system" $(PYTEST_ARGS)

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
	$(BIN)/python -m bench.mapping

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(SDK_NODE)/node_modules
