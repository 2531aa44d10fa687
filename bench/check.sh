#!/usr/bin/env bash
# Time `evaluate` over N generated evidence items with every built-in control (in memory, release build),
# then `assay check` itself over a workspace ledger holding the same N items (ledger read included).
# The items follow the mix of kinds an AI company's ledger holds, with references that resolve (see
# crates/engine/tests/support/generate.rs). There is no peer tool to run side by side: this measures Assay
# alone, against the issue's target of 1M items in < 5 s, on every core and then on one (THREADS=1), and
# prints the ratio. PER_CONTROL=1 also times each control on its own and prints the slowest.
# SKIP_CLI=1 leaves out the `assay check` runs, at 2026-06-30 and over 2026-01-01..2026-06-30 (writing a
# 1M-item ledger takes about a minute).
# Usage: bench/check.sh [N ...]   (default: 10000 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p assay-engine --example check_bench
cargo build --release --locked -p assay-cli
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/examples/check_bench"
assay="$(pwd)/$target/release/assay"
case "$target" in /*) assay="$target/release/assay" ;; esac
secs() { sed -n 's/.*evaluate_all_controls=\([0-9.]*\)s.*/\1/p'; }
for n in ${@:-10000 100000 1000000}; do
  all=$(timeout 600 "$bin" "$n") || { echo "items=$n did not finish within 600 s"; continue; }
  echo "$all"
  one=$(env -u PER_CONTROL THREADS=1 timeout 600 "$bin" "$n") || { echo "items=$n THREADS=1 did not finish"; continue; }
  echo "$one" | tail -n 1
  awk -v a="$(echo "$all" | secs)" -v b="$(echo "$one" | secs)" \
    'BEGIN { if (a > 0) printf "items='"$n"' one thread / all threads = %.2f\n", b / a }'
  if [ -z "${SKIP_CLI:-}" ]; then
    ws="$(mktemp -d)"
    (cd "$ws" && "$assay" init -q --name Bench > /dev/null)
    LEDGER="$ws" "$bin" "$n"
    # The generated items cover the 300 days before 2026-06-30 (the in-memory run's date).
    for window in "--at 2026-06-30" "--period 2026-01-01..2026-06-30"; do
      start=$(date +%s.%N)
      # shellcheck disable=SC2086
      (cd "$ws" && "$assay" check -q $window > /dev/null) || true   # exit 1: some controls fail, as generated
      end=$(date +%s.%N)
      awk -v s="$start" -v e="$end" -v w="$window" 'BEGIN { printf "items='"$n"' assay check %s (read the ledger, evaluate, store the result): %.3fs\n", w, e - s }'
    done
    rm -rf "$ws"
  fi
done
