#!/usr/bin/env bash
# Install the map's JavaScript/CSS from the npm registry into static/vendor/ (diagnostics/views/assets.py).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
exec "$PYTHON" -c 'import sys; from diagnostics.views.assets import main; sys.exit(main())'
