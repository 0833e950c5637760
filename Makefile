# The README's two commands: `make demo` runs the main job on the bundled sample, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install system-deps lint bench clean

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

# LibreOffice reads DOC/WPS; Noto CJK renders the Chinese fixtures. Installed where missing and possible.
system-deps:
	@if command -v soffice >/dev/null 2>&1; then echo "LibreOffice: $$(command -v soffice)"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			libreoffice-writer-nogui fonts-noto-cjk >/dev/null && echo "LibreOffice installed"; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			libreoffice-writer-nogui fonts-noto-cjk >/dev/null && echo "LibreOffice installed"; \
	else echo "LibreOffice not installed and cannot be installed here: DOC/WPS tests will skip"; fi

demo: $(VENV)/.installed
	$(BIN)/nianbao demo

test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --durations=15

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/extract.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
