#!/usr/bin/env sh
# Ledger throughput benchmark (release build), printed beside this machine's raw SHA-256 rate.
# Extra arguments go to the bench binary, e.g. --items 500000 --batch 10000.
set -eu
cd "$(dirname "$0")/.."
exec cargo bench -p assay-ledger --bench ledger -- "$@"
