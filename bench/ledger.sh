#!/usr/bin/env sh
# Ledger throughput benchmark (release build). Extra arguments go to the bench binary, e.g. --items 500000 --batch 10000.
set -eu
cd "$(dirname "$0")/.."
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-ledger}" exec cargo bench -p assay-ledger --bench ledger -- "$@"
