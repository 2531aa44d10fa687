#!/usr/bin/env bash
# Time `evaluate` over N generated evidence items with every built-in control (in memory, release build).
# There is no peer tool to run side by side: this measures Assay alone, against the issue's target of
# 1M items in < 5 s. Usage: bench/check.sh [N ...]   (default: 1000 10000 50000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p assay-engine --example check_bench
bin="${CARGO_TARGET_DIR:-target}/release/examples/check_bench"
for n in "${@:-1000 10000 50000}"; do
  for k in $n; do
    timeout 600 "$bin" "$k" || echo "items=$k did not finish within 600 s"
  done
done
