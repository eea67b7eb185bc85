#!/usr/bin/env bash
# Runs Tessera on the bundled sample listing: until the web app lands, this
# builds the `tessera` CLI, writes the references for
# tests/fixtures/earthbigdata_small.txt and reads them back.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked -p tessera-cli
out=target/sample
mkdir -p "$out"
./target/release/tessera refs tests/fixtures/earthbigdata_small.txt \
  --baseurl http://127.0.0.1:8765/data/tiles/ -o "$out/refs.json"
echo
echo "Wrote $out/refs.json ($(wc -c < "$out/refs.json") bytes). First chunk references:"
grep -m 3 '"COH/0' "$out/refs.json"
echo
echo "Read back with: tessera info $out/refs.json"
./target/release/tessera info "$out/refs.json"
