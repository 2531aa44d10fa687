#!/usr/bin/env bash
# Benchmark: git collection by `assay collect --source git` vs `git log --all --format=…` on the same
# generated repository (N commits, one tag every 100), and `assay trace` after collection. Prints the ratio.
#   bench/lineage.sh            # N=100000
#   N=20000 bench/lineage.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-100000}"
cargo build --release --locked -q
cargo build --release --locked -q -p assay-collect --example git_breakdown
ASSAY="${CARGO_TARGET_DIR:-target}/release/assay"
BREAKDOWN="${CARGO_TARGET_DIR:-target}/release/examples/git_breakdown"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
REPO="$WORK/repo"
git init -q -b main "$REPO"
python3 - "$N" > "$WORK/stream" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout
for i in range(1, n + 1):
    data = f"line {i}\n"
    msg = f"commit {i}\n"
    t = 1700000000 + i * 60
    out.write("blob\nmark :%d\ndata %d\n%s" % (2 * i - 1, len(data), data))
    out.write("commit refs/heads/main\nmark :%d\n" % (2 * i))
    out.write("author Dev <dev@example.com> %d +0000\ncommitter Dev <dev@example.com> %d +0000\n" % (t, t))
    out.write("data %d\n%s" % (len(msg), msg))
    if i > 1:
        out.write("from :%d\n" % (2 * i - 2))
    out.write("M 100644 :%d file%d.txt\n\n" % (2 * i - 1, i % 50))
    if i % 100 == 0:
        out.write("reset refs/tags/m@v0.%d.0\nfrom :%d\n\n" % (i // 100, 2 * i))
PY
(cd "$REPO" && git fast-import --quiet < "$WORK/stream" && git gc -q)
now() { date +%s.%N; }
t0=$(now); git -C "$REPO" log --all --format='%H %T %P %an %ae %at %cn %ce %ct %s' > /dev/null; t1=$(now)
GITLOG=$(echo "$t1 - $t0" | bc -l)
mkdir -p "$WORK/ws" && cd "$WORK/ws"
"$ASSAY" init -q --name "Bench" > /dev/null
printf '\n[source.git]\nrepos = ["%s"]\n' "$REPO" >> assay.toml
t0=$(now); "$ASSAY" collect -q --source git > /dev/null; t1=$(now)
COLLECT=$(echo "$t1 - $t0" | bc -l)
t0=$(now); "$ASSAY" collect -q --source git > /dev/null; t1=$(now)
AGAIN=$(echo "$t1 - $t0" | bc -l)
# The parts of the cold collect, each alone on a fresh ledger: reading git (nothing stored), storing (nothing read),
# and the lineage-index update at its end.
read -r ITEMS READ STORE INDEX < <("$BREAKDOWN" "$REPO")
printf 'commits: %s\n' "$N"
printf 'git log --all --format=…:          %.3f s\n' "$GITLOG"
printf 'assay collect --source git (cold):  %.3f s   ratio %.2f (target ≤ 1.5)\n' "$COLLECT" "$(echo "$COLLECT / $GITLOG" | bc -l)"
printf '  of which alone: reading git %.3f s (ratio %.2f), storing %s items %.3f s, indexing lineage %.3f s\n' "$READ" "$(echo "$READ / $GITLOG" | bc -l)" "$ITEMS" "$STORE" "$INDEX"
printf 'assay collect --source git (again): %.3f s   (incremental: nothing new)\n' "$AGAIN"
