# Two commands for users: `make run` (dashboard on the embedded data) and `make test` (whole test suite).
# Each installs what is missing first; the virtual environment lives in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := UV_PYTHON_DOWNLOADS=never $(BIN)/uv
PORT ?= 8501

.PHONY: run test install install-dev system assets data bench bench-app bench-charge audit-a11y clean

run: install assets
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address localhost

test: install-dev system assets
	$(BIN)/pytest

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv

# Stamps record which lock file the environment was installed from. Bytecode is compiled at install:
# where PYTHONDONTWRITEBYTECODE is set, every start would otherwise compile every module again
# (importing the app's modules: 7.6 s → 1.7 s here).
$(VENV)/.runtime: requirements.lock pyproject.toml | $(BIN)/uv
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock pyproject.toml | $(BIN)/uv
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements-dev.lock -e .
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Debian packages the tests need (Chromium for browser tests and chart images); only as root.
system:
	@bash scripts/system_packages.sh

# Map assets (Leaflet…) from the npm registry, served by the app: no CDN at run time. Without npm
# the dashboard still starts; the map then says what is missing.
assets: static/vendor/.installe

static/vendor/.installe: package.json package-lock.json | $(VENV)/.runtime
	-@PYTHON=$(BIN)/python bash scripts/install_assets.sh && touch $@

# Rebuild data/ from the raw public files of ../shared/data.
data: install
	$(BIN)/python -m diagnostics.build

bench: install-dev
	$(BIN)/python -m diagnostics.bench

bench-app: install-dev system assets
	$(BIN)/python scripts/bench_app.py

bench-charge: install-dev system assets
	$(BIN)/python scripts/bench_charge.py

# Accessibility audit (axe-core, WCAG 2.1 A/AA) of the local map, the HTML report and the dashboard;
# `make audit-a11y ARGS=--ecrire` also updates the figures quoted by the local map's accessibility statement.
audit-a11y: install-dev system assets
	$(BIN)/python scripts/audit_a11y.py $(ARGS)

clean:
	rm -rf $(VENV) static/vendor node_modules .pytest_cache
