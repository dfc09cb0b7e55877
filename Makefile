# Lanka CRM: `make run` runs the whole CRM on this machine, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: chromium run test lint types unit integration e2e infra-test bench synth clean install layer

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's chromium (Playwright never downloads a browser here):
# installed when missing, which needs root (as on CI and the dev machines).
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

run: $(STAMP)
	$(BIN)/lanka up --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src services tests bench infra
	$(BIN)/ruff format --check src services tests bench infra

types: $(STAMP)
	$(BIN)/mypy

test: lint types chromium
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/contracts

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

e2e: $(STAMP) chromium
	$(BIN)/python -m pytest tests/e2e

infra-test: $(STAMP)
	$(BIN)/python -m pytest tests/infra

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
