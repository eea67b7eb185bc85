#!/usr/bin/env bash
# Benchmark the web app at full scale (issue 5) in headless Chromium:
#
#   bash scripts/bench-web.sh [--runs N]
#
# Builds the CLI and the app, reuses or writes the demo (./demo: the seed's
# selection and its surroundings in the real file layout), and makes a site
# bench/out/web-site/ with full-scale references refs-full.json: `tessera
# refs` of the demo's listing followed by the full-scale synthetic listing
# (1,033,422 files; the demo's files come first, so they win). Their chunk
# URLs are relative and as long as the bucket's HTTPS URLs
# ($HOST/data/tiles/..., with $HOST/data a link to demo/data), so the file
# is as large as the real one. Files outside the demo 404. Then
# bench/web/bench.mjs measures, as medians of N runs (default 5), next to
# the reference tools in the same browser: (a) fetch and index of the
# references vs fetch + JSON.parse; (b) decoding a real-layout tile, our
# wasm vs geotiff.js; (c) cold page load to the first complete mosaic of
# the seed's selection, from the JSON and (c') from the same references as
# a parquet store (refs-full.parq); (a') the JSON gzipped, served as is
# (refs-full-as-is.json.gz); (d) frame times while panning over
# cached tiles; (e) a long session's requests and memory.
# Prints a markdown table; writes bench/out/web_bench.json.
# Not part of any test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "setup"
bash scripts/setup.sh
step "build the CLI and the app"
cargo build --release --locked -p tessera-cli
scripts/build-app.sh
step "demo"
./target/release/tessera demo --out demo
listing=$(scripts/synthetic-listing.sh)
host=sentinel-1-global-coherence-earthbigdata.s3.us-west-2.amazonaws.com
site=bench/out/web-site
step "full-scale references $site/refs-full.json"
mkdir -p "$site/$host"
ln -sfn "$PWD/demo/data" "$site/$host/data"
cat demo/listing.txt "$listing" |
  ./target/release/tessera refs - -o "$site/refs-full.json" --baseurl "$host/data/tiles/" \
    --max-problems 1 -q
ls -l "$site/refs-full.json" >&2
# The same gzipped, under a name `tessera serve` does not take for a
# precompressed refs-full.json: served as is, as from a plain static host.
if [ ! "$site/refs-full-as-is.json.gz" -nt "$site/refs-full.json" ]; then
  gzip -6 -c "$site/refs-full.json" >"$site/refs-full-as-is.json.gz"
fi
ls -l "$site/refs-full-as-is.json.gz" >&2
step "the same references as a parquet store $site/refs-full.parq"
cat demo/listing.txt "$listing" |
  ./target/release/tessera refs - --format parquet -o "$site/refs-full.parq" \
    --baseurl "$host/data/tiles/" --max-problems 1 -q
du -sh "$site/refs-full.parq" >&2

step "benchmark"
export PATH="$PWD/node_modules/.bin:$PATH"
exec node bench/web/bench.mjs --data "$site" --refs refs-full.json "$@"
