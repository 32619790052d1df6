#!/usr/bin/env bash
# Create .venv from a lock file (uv when available: ~7 s; pip otherwise). Sourced by run.sh (requirements.lock: what
# the product needs) and test.sh (NIANBAO_LOCK=requirements-dev.lock: that plus the test, lint and cluster extras).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="$(command -v python3.11 || command -v python3)"
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "nianbao needs Python 3.11"'
if ! command -v uv >/dev/null 2>&1; then
  "$PYTHON" -m pip install --quiet uv
fi
if [ ! -x .venv/bin/python ]; then
  uv venv --quiet --python "$PYTHON" .venv
fi
# Bytecode compiled at install: uv does not by default, and where PYTHONDONTWRITEBYTECODE is set every process would
# compile Dagster & co. from source (~2.5 s more per process start: run, worker server, dashboard, tests).
uv pip install --quiet --python .venv/bin/python --compile-bytecode -r "${NIANBAO_LOCK:-requirements.lock}"
uv pip install --quiet --python .venv/bin/python --no-deps -e .
export DAGSTER_HOME="$PWD/var/dagster_home"
mkdir -p "$DAGSTER_HOME"
cp pipelines/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
