# The README's two commands: `make demo` runs the main job on the bundled sample, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-slow install system-deps bytecode lint bench clean

# The demo needs only the package; the tests add their tools (pytest, ruff, pandas, psycopg …).
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed-test

# The project's modules compiled to bytecode once (only the changed ones again): an editable install run where
# PYTHONDONTWRITEBYTECODE is set compiled every module in every process it started (a crawl starts four).
bytecode: $(VENV)/.installed
	$(BIN)/python -m compileall -q crawler extractors storage nianbao fixtures >/dev/null

# System tools the tests use, installed where missing and possible: LibreOffice reads DOC/WPS, Noto CJK renders
# the Chinese fixtures, Chromium opens the harvest report, Tesseract (with its Simplified Chinese model) is one
# of the OCR engines, redis-server runs the distributed tests' own Redis they stop and start. Tests that need a tool
# that cannot be installed skip and say which.
SYSTEM_PACKAGES := soffice:libreoffice-writer-nogui,fonts-noto-cjk chromium:chromium tesseract:tesseract-ocr,tesseract-ocr-chi-sim redis-server:redis-server
system-deps:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do tool=$${pair%%:*}; pkgs=$${pair#*:}; \
		if command -v $$tool >/dev/null 2>&1; then echo "$$tool: $$(command -v $$tool)"; \
		else missing="$$missing $$(echo $$pkgs | tr , ' ')"; fi; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	else echo "not installed (no root, no sudo):$$missing; the tests that need them skip"; exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then echo "not installed (no apt-get):$$missing; the tests that need them skip"; exit 0; fi; \
	$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
		&& echo "installed:$$missing" || echo "could not install:$$missing; the tests that need them skip"

demo: $(VENV)/.installed bytecode
	$(BIN)/nianbao demo

# Two layers: `make test` runs the fast one on every change; `make test-slow` the tests marked slow (subprocess and
# distributed crawls, SIGKILL, PostgreSQL concurrency, memory ceilings, fuzzing, OCR of scans, the browser, the
# fresh-venv install). CI (.ci/run) runs both.
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal --durations=15
test: install system-deps bytecode
	$(BIN)/ruff check .
	$(PYTEST) -m "not slow"

test-slow: install system-deps bytecode
	$(PYTEST) -m slow

lint: install
	$(BIN)/ruff check .

bench: install bytecode
	$(BIN)/python bench/extract.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
