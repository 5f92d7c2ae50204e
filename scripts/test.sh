#!/usr/bin/env bash
# The whole test suite: lint, then pytest (real models, real mosquitto, real Home Assistant, and the
# adapter recipe on a tiny configuration, which needs the [train] extra).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${HEARTH_VENV:-.venv}
STAMP="$VENV/.hearth-train-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  echo "[test] pip install -e '.[train]' (torch CPU, transformers, peft, gguf)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -c requirements.lock -e ".[train]"
  rm -f "$VENV"/.hearth-train-*
  touch "$STAMP"
fi
"$VENV/bin/ruff" check assistant skills tests
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
