#!/usr/bin/env bash
# Benchmark exporting the seed's selection as a GeoTIFF (issue 24): the web
# app with its files cached and cold, tessera export, and xarray + rasterio
# in a warm Python process, in the same run, on the demo served from
# 127.0.0.1:
#
#   bash scripts/bench-export.sh [--runs N]
#
# Prints a markdown table; writes bench/out/export_bench.json. Not part of
# any test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bench-prepare.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec node bench/web/export.mjs --demo tests/out/e2e-demo "$@"
