#!/usr/bin/env bash
# Data-control benchmarks, each run side by side with its peer, printing ratios:
#   1. drift on ROWS × 20 columns (default 1M): `assay data drift` vs Evidently's DataDriftPreset (PyPI);
#   2. PII scan throughput (MB/s, one core) vs Presidio's analyzer with pattern recognizers only (PyPI,
#      blank spaCy pipeline), and per-line precision/recall of both on a generated labelled corpus;
#   3. peak RSS of `assay data scan` and `assay data snapshot` on a file larger than 4 GB.
# Usage: bench/data.sh [ROWS] [BIG_GB]      (SKIP_DRIFT=1, SKIP_PII=1, SKIP_PRESIDIO=1, SKIP_BIG=1 skip parts;
#                                           SKIP_PII skips the whole PII part, SKIP_PRESIDIO only Presidio)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
big_gb="${2:-4.2}"
work="${ASSAY_BENCH_DIR:-${TMPDIR:-/tmp}/assay-bench-data}"
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -q
assay="$CARGO_TARGET_DIR/release/assay"
py="$(ASSAY_VENV=venv-bench scripts/python-venv evidently 'pandas<3' presidio-analyzer spacy numpy)"
now() { date +%s.%N; }
ratio() { "$py" -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.1f}')" "$1" "$2"; }

if [ "${SKIP_DRIFT:-0}" != 1 ]; then
echo "== drift: $rows rows x 20 columns (16 numerical, 4 categorical)"
if [ ! -f "$work/drift-$rows/cur.csv" ]; then
  mkdir -p "$work/drift-$rows"
  "$py" bench/data_gen.py drift "$work/drift-$rows" "$rows"
fi
t0=$(now)
/usr/bin/time -f '%M' -o "$work/assay-drift.time" "$assay" -q data drift --reference "$work/drift-$rows/ref.csv" --current "$work/drift-$rows/cur.csv" --no-record --json > "$work/assay-drift.json" || true
t1=$(now)
assay_s=$("$py" -c "print($t1 - $t0)")
echo "  assay peak RSS: $(( $(tail -n 1 "$work/assay-drift.time") / 1024 )) MB"
"$py" -c "
import json; r = json.load(open('$work/assay-drift.json'))['report']
print('  assay tests:', sorted({c['test'] for c in r['columns']}), 'drifted', r['drifted_columns'], 'of', len(r['columns']))"
ev=$("$py" bench/evidently_drift.py "$work/drift-$rows")
ev_total=$("$py" -c "import json,sys; print(json.loads(sys.argv[1])['total_s'])" "$ev")
ev_drift=$("$py" -c "import json,sys; print(json.loads(sys.argv[1])['drift_s'])" "$ev")
printf '  assay (read CSV + all tests): %.2f s\n  evidently: %.2f s total, %.2f s after pandas read_csv\n' "$assay_s" "$ev_total" "$ev_drift"
echo "  ratio (evidently total / assay): $(ratio "$ev_total" "$assay_s")x; excluding evidently's CSV read: $(ratio "$ev_drift" "$assay_s")x"
"$py" -c "import json,sys; m = json.loads(sys.argv[1])['methods']; print('  evidently tests:', sorted({str(k).split('method=')[-1].rstrip(')') for k in m})[:6])" "$ev" || true

fi

if [ "${SKIP_PII:-0}" != 1 ]; then
echo "== PII: labelled corpus"
if [ ! -f "$work/pii/corpus.jsonl" ] || [ ! -f "$work/pii/sparse.log" ]; then
  mkdir -p "$work/pii"
  rm -f "$work/pii/repeat".*
  "$py" bench/data_gen.py pii "$work/pii" 200000
  "$py" bench/data_gen.py sparse "$work/pii" 200000
fi
corpus="$work/pii/corpus.csv"
# Throughput corpora: each generated corpus repeated to about 0.5 GB, scanned from the page cache.
# `throughput LABEL SRC TIMES EXT` prints MB/s per core (CPU time) and sets $assay_mbs.
throughput() {
  local label="$1" src="$2" times="$3" ext="$4" rep="$work/pii/repeat.$4"
  if [ ! -f "$rep" ]; then
    for _ in $(seq 1 "$times"); do cat "$src"; done > "$rep"
  fi
  cat "$rep" > /dev/null
  local bytes wall user sys
  bytes=$(stat -c %s "$rep")
  /usr/bin/time -f '%e %U %S' -o "$work/pii/scan.time" "$assay" -q data scan "$rep" --no-record --json > /dev/null || true
  read -r wall user sys < <(tail -n 1 "$work/pii/scan.time")
  assay_mbs=$("$py" -c "print($bytes / 1e6 / ($user + $sys))")
  printf '  assay %-22s %.0f MB in %.2f s wall, %.2f s CPU = %.0f MB/s per core (%.0f MB/s wall; the scan is single-threaded)\n' \
    "$label:" "$("$py" -c "print($bytes/1e6)")" "$wall" "$("$py" -c "print($user+$sys)")" "$assay_mbs" "$("$py" -c "print($bytes/1e6/$wall)")"
}
score() {
  "$assay" -q data scan "$1" --no-record --format sarif --max-locations 10000000 > "$work/pii/assay.sarif" || true
  "$py" bench/pii_score.py "$work/pii/assay.sarif" "$2" "$3"
}
throughput "sparse text/logs" "$work/pii/sparse.log" 40 log
throughput "dense JSONL" "$work/pii/corpus.jsonl" 28 jsonl
throughput "dense CSV" "$corpus" 35 csv
sample=20000
echo "  assay precision/recall, sparse (all $(wc -l < "$work/pii/sparse.log") lines): $(score "$work/pii/sparse.log" "$work/pii/labels-sparse.json" 100000000)"
echo "  assay precision/recall, JSONL (all $(wc -l < "$work/pii/corpus.jsonl") lines): $(score "$work/pii/corpus.jsonl" "$work/pii/labels-jsonl.json" 100000000)"
"$assay" -q data scan "$corpus" --no-record --format sarif --max-locations 10000000 > "$work/pii/assay.sarif" || true
echo "  assay precision/recall (all $(wc -l < "$corpus") lines):   $("$py" bench/pii_score.py "$work/pii/assay.sarif" "$work/pii/labels.json" 100000000)"
echo "  assay precision/recall (first $sample lines): $("$py" bench/pii_score.py "$work/pii/assay.sarif" "$work/pii/labels.json" $((sample + 1)))"
if [ "${SKIP_PRESIDIO:-0}" != 1 ]; then
  pres=$("$py" bench/presidio_bench.py "$corpus" "$work/pii/labels.json" "$sample" 2>/dev/null)
  echo "  presidio (first $sample lines): $pres"
  pres_mbs=$("$py" -c "import json,sys; print(json.loads(sys.argv[1])['mb_per_s'])" "$pres")
  echo "  throughput ratio (assay per core / presidio): $(ratio "$assay_mbs" "$pres_mbs")x"
fi
fi

if [ "${SKIP_BIG:-0}" != 1 ]; then
  echo "== bounded memory: a file over $big_gb GB"
  big="$work/pii/big.csv"
  target=$("$py" -c "print(int($big_gb * 1024**3))")
  if [ ! -f "$big" ] || [ "$(stat -c %s "$big")" -lt "$target" ]; then
    : > "$big"
    while [ "$(stat -c %s "$big")" -lt "$target" ]; do cat "$work/pii/repeat.csv" >> "$big"; done
  fi
  size=$(stat -c %s "$big")
  for cmd in "data scan $big --no-record --json" "data snapshot $big --name big --version bench"; do
    ws=$(mktemp -d)
    /usr/bin/time -f '%M %e' -o "$ws/time" "$assay" -q --config "$ws/assay.toml" $cmd > /dev/null || true
    read -r rss secs < <(tail -n 1 "$ws/time")
    printf '  assay %-13s %.2f GB: peak RSS %d MB, %.1f s (%.0f MB/s)\n' "${cmd%% /*}" "$("$py" -c "print($size/1e9)")" $((rss / 1024)) "$secs" "$("$py" -c "print($size/1e6/$secs)")"
    rm -rf "$ws"
  done
fi
