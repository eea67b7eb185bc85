#!/usr/bin/env bash
# Benchmark overviews in the browser (issue 22), Tessera next to
# OpenLayers' GeoTIFF source (npm `ol`) on the same COG in the same run:
#
#   bash scripts/bench-overviews.sh [--runs N] [--latency MS]
#
# Builds the CLI and the app, reuses or writes the e2e demo (the
# references the app opens), reuses or writes a global COG like the
# bucket's data/mosaics/ with GDAL (bench/web/global_cog.py: 36,000 ×
# 16,100 at 0.01°, 309 MB), bundles the OpenLayers page with esbuild,
# then runs bench/web/overviews.mjs: a cold world view to complete, five
# runs each, alternated, without and with 50 ms latency; cold views from
# the world down to 0.01° counting requests; and every tile of the demo's
# COGs written with Deflate and with LZW decoded by the app's wasm. Prints markdown tables;
# writes bench/out/overviews_bench.json. Not part of any test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "setup, the CLI, the app and the demo"
bash scripts/bench-prepare.sh
export PATH="$PWD/node_modules/.bin:$PATH"
step "the demo's overviews with Deflate and with LZW (codec comparison)"
for codec in deflate lzw; do
  [ -s "bench/out/overviews-codecs/$codec/overviews.json" ] ||
    ./target/release/tessera overviews tests/out/e2e-demo/refs.json \
      -o "bench/out/overviews-codecs/$codec" --compression "$codec" \
      --layers winter_vv_COH12,winter_vv_AMP,winter_vv_rho -q
done
step "global COG (GDAL)"
cog=bench/out/global-coh.tif
[ -s "$cog" ] || .venv/bin/python bench/web/global_cog.py "$cog"
step "OpenLayers page (esbuild)"
mkdir -p bench/out/ol-cog
esbuild bench/web/ol-cog/main.js --bundle --minify --format=iife --outfile=bench/out/ol-cog/main.js --log-level=warning
cp bench/web/ol-cog/index.html bench/out/ol-cog/
step "benchmark"
export TESSERA_E2E_DEMO="$PWD/tests/out/e2e-demo"
node bench/web/overviews.mjs --cog "$cog" --ol bench/out/ol-cog "$@"
