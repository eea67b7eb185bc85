#!/usr/bin/env bash
# Benchmark `tessera refs` against the seed's tifffile pipeline on a
# synthetic full-scale listing (1,033,422 GeoTIFFs, the bucket's counts).
#
#   bash scripts/bench-refs.sh [--runs N] [other bench/refs_bench.py options]
#
# Sets up the venv (scripts/setup.sh), builds target/release/tessera,
# generates bench/out/earthbigdata_synthetic.txt unless it is cached (the
# cache is keyed by the generator's source), then runs bench/refs_bench.py:
# each tool N times (default 5), alternating, with wall time and peak RSS,
# then a byte comparison of the outputs from "COH/.zattrs" on. Prints a
# markdown table; writes bench/out/refs_bench.json. Not part of any test
# suite. Takes a few minutes (the seed needs ~30 s per run).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "setup"
bash scripts/setup.sh

step "cargo build --release -p tessera-cli"
cargo build --release -p tessera-cli

listing=$(scripts/synthetic-listing.sh)

step "benchmark"
exec .venv/bin/python bench/refs_bench.py --listing "$listing" "$@"
