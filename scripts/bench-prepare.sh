#!/usr/bin/env bash
# What the browser benchmarks run on: the tools (scripts/setup.sh), the
# release CLI, the built app, and the e2e demo (the seed's selection in
# the real file layout, reused when current). Sourced or run by the
# scripts/bench-*.sh that need it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked -p tessera-cli
scripts/build-app.sh
./target/release/tessera demo --out tests/out/e2e-demo --bbox -121,32.5,-115,36 -q
