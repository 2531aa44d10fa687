#!/usr/bin/env bash
# Fetch Microsoft's SARIF Multitool (the SARIF SDK's validator: the SARIF 2.1.0 JSON schema plus the SARIF rules)
# from the npm registry into a cache outside the clone, idempotently. Prints the path of the executable.
# Used by the SARIF validation test (crates/cli/tests/sarif.rs) through scripts/test.
set -euo pipefail
CACHE="${ASSAY_CACHE:-$HOME/.cache/assay}"
VERSION="${ASSAY_SARIF_MULTITOOL_VERSION:-5.7.0}"
DIR="$CACHE/sarif-multitool-$VERSION"
TOOL="$DIR/package/Sarif.Multitool"
if [ ! -x "$TOOL" ] || [ ! -f "$DIR/package/sarif-2.1.0.json" ]; then
  rm -rf "$DIR.tmp" && mkdir -p "$DIR.tmp"
  start=$(date +%s)
  (cd "$DIR.tmp" && npm pack --silent "@microsoft/sarif-multitool-linux@$VERSION" > /dev/null)
  tar xzf "$DIR.tmp"/microsoft-sarif-multitool-linux-"$VERSION".tgz -C "$DIR.tmp"
  rm -f "$DIR.tmp"/*.tgz
  chmod +x "$DIR.tmp/package/Sarif.Multitool"
  rm -rf "$DIR" && mv "$DIR.tmp" "$DIR"
  echo "SARIF Multitool $VERSION fetched in $(( $(date +%s) - start )) s" >&2
fi
echo "$TOOL"
