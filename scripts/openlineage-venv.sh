#!/usr/bin/env bash
# Install the real OpenLineage Python client into a venv outside the clone, idempotently. Prints the venv's
# python path. Used by the OpenLineage differential test (crates/collect/tests/openlineage.rs) through scripts/test.
set -euo pipefail
CACHE="${ASSAY_CACHE:-$HOME/.cache/assay}"
VENV="$CACHE/openlineage-venv"
OL_VERSION="${ASSAY_OPENLINEAGE_VERSION:-1.*}"
mkdir -p "$CACHE"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" >&2
fi
if ! "$VENV/bin/python" -c 'import openlineage.client.event_v2, openlineage.client.facet_v2' 2>/dev/null; then
  start=$(date +%s)
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "openlineage-python==$OL_VERSION" >&2
  echo "openlineage-python installed in $(( $(date +%s) - start )) s" >&2
fi
echo "$VENV/bin/python"
