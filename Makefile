# Lanka CRM: `make run` runs the whole CRM on this machine, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
SERVICES := clients deals booking notifications
# Two workers, one per core; a group of browser tests stays on one worker (one stack there).
PYTEST := $(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15

.PHONY: run test lint types unit integration e2e infra-test bench synth clean install layer browser routes

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/lanka up --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src services tests bench infra
	$(BIN)/ruff format --check src services tests bench infra

# mypy --strict: the shared package, then each service on its own (each has its own `app`
# and `chalicelib` package, as its Lambda does).
types: $(STAMP)
	$(BIN)/mypy
	@for service in $(SERVICES); do \
		echo "mypy services/$$service"; \
		(cd services/$$service && ../../$(BIN)/mypy --config-file ../../pyproject.toml \
			--cache-dir ../../.mypy_cache/services-$$service \
			--explicit-package-bases app.py chalicelib) || exit 1; \
	done

test: lint types browser
	$(PYTEST) tests

unit: $(STAMP)
	$(PYTEST) tests/unit tests/contracts

integration: $(STAMP)
	$(PYTEST) tests/integration

e2e: $(STAMP) browser
	$(PYTEST) tests/e2e

# The widgets' browser tests drive Debian's Chromium (Playwright never downloads a browser).
# Installed when missing and we may (root); otherwise those tests are skipped with the reason.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi
	@test -x $(CHROMIUM) || echo "Chromium is not installed: the browser tests will be skipped."

infra-test: $(STAMP)
	$(PYTEST) tests/infra

# Each service's route table, from its route modules (after adding or changing a route).
routes: $(STAMP)
	$(BIN)/lanka routes

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

synth: $(STAMP)
	cd infra && ../$(BIN)/python app.py

clean:
	rm -rf $(VENV) cdk.out chalice.out infra/cdk.out infra/chalice.out infra/build build

# The third-party dependencies of every Lambda, as one layer for the CDK app (infra/README.md).
layer: $(STAMP)
	rm -rf build/layer && mkdir -p build
	$(BIN)/python -c "import tomllib; print('\n'.join(d for d in tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'] if not d.startswith('chalice')))" > build/requirements-lambda.txt
	$(BIN)/pip install --quiet --platform manylinux2014_x86_64 --implementation cp --python-version 3.11 \
		--only-binary=:all: --target build/layer/python -r build/requirements-lambda.txt
