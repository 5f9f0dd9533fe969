# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need.
UV := python3 -m uv
export LEADBRIDGE_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: demo test test-long lint bench install

install:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.5"
	@$(UV) sync --frozen --quiet

# `make demo PORT=8090` when 8080 is taken. Set here, not with ?=: a PORT variable some other
# tool left in the environment must not move the dashboard; the command line still wins.
PORT = 8080

demo: install
	$(UV) run leadbridge demo --port $(PORT)

lint: install
	$(UV) run ruff check src tests bench
	$(UV) run ruff format --check src tests bench
	$(UV) run mypy
	$(UV) run lint-imports --no-cache

# Most tests wait on HTTP, a database or a child process rather than on the CPU: several workers
# at once (pytest-xdist) more than halve the suite's wall time even on two cores. The slowest
# tests are listed at the end: where to look when the suite grows slow.
PYTEST_WORKERS ?= 6

# The tests marked `long` (minutes of separate processes under faults each) wait for `test-long`.
test: lint
	$(UV) run pytest -m "not long" -n $(PYTEST_WORKERS) --dist worksteal --durations=15

# The long runs: the database restarts and Avito's breaking change side by side, then both chaos
# tests at 1,000 requests one at a time (they load the machine on their own), and the dashboard's
# screenshots in Chromium.
test-long: install
	$(UV) run pytest -m long -n 3 --durations=5 tests/acceptance/test_database_outage.py tests/acceptance/test_avito_breaking_change.py
	LEADBRIDGE_CHAOS_LEADS=1000 $(UV) run pytest tests/acceptance/test_chaos_processes.py
	$(UV) run python -m tests.browser.screenshots

bench: install
	$(UV) run python -m bench
