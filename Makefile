# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need.
UV := python3 -m uv
export LEADBRIDGE_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: demo test lint bench install

install:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.5"
	@$(UV) sync --frozen --quiet

demo: install
	$(UV) run leadbridge demo

lint: install
	$(UV) run ruff check src tests bench
	$(UV) run ruff format --check src tests bench
	$(UV) run mypy
	$(UV) run lint-imports --no-cache

test: lint
	$(UV) run pytest

bench: install
	$(UV) run python -m bench
