#!/usr/bin/env bash
# Install the real OpenLineage Python client (openlineage-python from PyPI) into its own venv outside the
# clone, ${ASSAY_CACHE:-$HOME/.cache/assay}/openlineage-venv, idempotently. Prints the venv's python path.
# Used by the OpenLineage differential test (crates/collect/tests/openlineage.rs) through scripts/test.
set -euo pipefail
cd "$(dirname "$0")/.."
ASSAY_VENV=openlineage-venv exec scripts/python-venv "openlineage-python==${ASSAY_OPENLINEAGE_VERSION:-1.*}"
