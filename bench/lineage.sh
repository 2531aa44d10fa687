#!/usr/bin/env bash
# Benchmark: git collection by `assay collect --source git` vs `git log --all --format=…` on the same
# generated repository (N commits, one tag every 100). ROUNDS rounds, each running `git log` and then a cold
# collect into a fresh workspace (so both see the same machine load; bench/git_collect_ab.sh does the rounds);
# prints every round's ratio and the ratio of the medians (target ≤ 1.5), then the parts of a collect timed
# alone and an incremental re-run.
#   bench/lineage.sh            # N=100000, ROUNDS=5
#   N=20000 ROUNDS=3 bench/lineage.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-100000}"
ROUNDS="${ROUNDS:-5}"
cargo build --release --locked -q
# The whole workspace, so that features resolve as for every other release build (one crate alone would
# rebuild gix with other features).
cargo build --release --locked -q --workspace --examples
RELEASE="$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)"
ASSAY="$RELEASE/assay"
BREAKDOWN="$RELEASE/examples/git_breakdown"
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
printf 'commits: %s\n' "$N"
# The rounds: `git log` then a cold collect into a fresh workspace, alternating (bench/git_collect_ab.sh).
ROUNDS="$ROUNDS" bench/git_collect_ab.sh "$REPO" "$ASSAY" | tee "$WORK/rounds"
echo "(target: ratio ≤ 1.5)"
GITLOG=$(sed -n 's/^median git log \([0-9.]*\) s$/\1/p' "$WORK/rounds")
# An incremental re-run: collect once, then time a second collect that finds nothing new.
mkdir -p "$WORK/ws"
(cd "$WORK/ws" && "$ASSAY" init -q --name "Bench" > /dev/null \
  && printf '\n[source.git]\nrepos = ["%s"]\n' "$REPO" >> assay.toml \
  && "$ASSAY" collect -q --source git > /dev/null)
t0=$(now); (cd "$WORK/ws" && "$ASSAY" collect -q --source git > /dev/null); t1=$(now)
AGAIN=$(echo "$t1 - $t0" | bc -l)
# The parts of the cold collect, each alone on a fresh ledger: reading git (nothing stored), storing (nothing read),
# and the lineage-index update at its end.
read -r ITEMS READ STORE INDEX < <("$BREAKDOWN" "$REPO")
printf '  alone: reading git %.3f s (ratio %.2f), storing %s items %.3f s, indexing lineage %.3f s\n' "$READ" "$(echo "$READ / $GITLOG" | bc -l)" "$ITEMS" "$STORE" "$INDEX"
printf 'assay collect --source git (again): %.3f s   (incremental: nothing new)\n' "$AGAIN"
