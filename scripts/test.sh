#!/usr/bin/env bash
# The whole test suite: lint, then pytest (real models, real mosquitto, real Home Assistant).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${HEARTH_VENV:-.venv}
"$VENV/bin/ruff" check assistant skills tests
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
