#!/usr/bin/env bash
# Install the real MLflow into a venv outside the clone, idempotently. Prints the venv's python path.
# Used by the MLflow collector tests (crates/collect/tests/mlflow.rs) through scripts/test.
set -euo pipefail
CACHE="${ASSAY_CACHE:-$HOME/.cache/assay}"
VENV="$CACHE/venv"
MLFLOW_VERSION="${ASSAY_MLFLOW_VERSION:-3.*}"
mkdir -p "$CACHE"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" >&2
fi
if ! "$VENV/bin/python" -c 'import mlflow' 2>/dev/null; then
  start=$(date +%s)
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "mlflow==$MLFLOW_VERSION" >&2
  echo "mlflow installed in $(( $(date +%s) - start )) s" >&2
fi
echo "$VENV/bin/python"
