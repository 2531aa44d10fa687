#!/usr/bin/env bash
# Side-by-side timing of git collection by several `assay` binaries against `git log` on one repository:
# ROUNDS rounds, each running `git log --all --format=…` and then a cold `assay collect -q --source git` into a
# fresh workspace with every binary in turn, so that all see the same minutes of a shared machine. Prints each
# round and the median per binary with its ratio to the median `git log`.
#   bench/git_collect_ab.sh REPO BIN [BIN…]          # ROUNDS=5 by default
# A repository like bench/lineage.sh's comes from that script's generator (100 000 commits, `git gc`).
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: bench/git_collect_ab.sh REPO BIN [BIN…]" >&2; exit 2; }
REPO="$(cd "$1" && pwd)"; shift
bins=()
for b in "$@"; do bins+=("$(cd "$(dirname "$b")" && pwd)/$(basename "$b")"); done
set -- "${bins[@]}"
ROUNDS="${ROUNDS:-5}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
secs() { /usr/bin/time -f '%e' "$@" 2>&1 >/dev/null | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for round in $(seq "$ROUNDS"); do
  g=$(secs git -C "$REPO" log --all --format='%H %T %P %an %ae %at %cn %ce %ct %s')
  echo "$g" >> "$WORK/git"
  line="round $round (load $(cut -d' ' -f1 /proc/loadavg)): git log $g s"
  for i in $(seq $#); do
    bin="${!i}"
    rm -rf "$WORK/ws" && mkdir "$WORK/ws"
    (cd "$WORK/ws" && "$bin" init -q --name Bench > /dev/null \
      && printf '\n[source.git]\nrepos = ["%s"]\n' "$REPO" >> assay.toml)
    c=$(cd "$WORK/ws" && secs "$bin" collect -q --source git)
    echo "$c" >> "$WORK/bin$i"
    line="$line | $(basename "$bin") $c s ($(echo "$c / $g" | bc -l | cut -c1-4))"
  done
  echo "$line"
done
gm=$(median < "$WORK/git")
echo "median git log $gm s"
for i in $(seq $#); do
  m=$(median < "$WORK/bin$i")
  echo "median $(basename "${!i}") $m s, ratio $(echo "$m / $gm" | bc -l | cut -c1-4)"
done
