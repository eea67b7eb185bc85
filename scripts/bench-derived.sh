#!/usr/bin/env bash
# Benchmark derived maps, RGB composites and the swipe against stored
# layers (issue 23) in headless Chromium, on the demo of the seed's
# selection served from 127.0.0.1:
#
#   bash scripts/bench-derived.sh [--runs N]
#
# Prints a markdown table (cold time to the first complete view and the
# painter's time per frame while panning, each beside the stored COH
# layer's in the same run); writes bench/out/derived_bench.json.
# Not part of any test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bench-prepare.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec node bench/web/derived.mjs --demo tests/out/e2e-demo "$@"
