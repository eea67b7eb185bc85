#!/usr/bin/env bash
# All of Tessera's checks and tests: formatting, lints, native tests (with
# the real Python xarray interoperability tests), and the core library built
# for wasm32. Installs what is missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (native, all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo clippy (tessera-core for wasm32-unknown-unknown)"
cargo clippy -p tessera-core --target wasm32-unknown-unknown --locked -- -D warnings

step "cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for all test binaries: cargo's own last line is the doc
# tests' (often "0 passed"), which says nothing about the rest.
awk '/^test result:/ {
       for (i = 1; i < NF; i++) {
         if ($(i + 1) ~ /^passed/) passed += $i
         if ($(i + 1) ~ /^failed/) failed += $i
       }
     }
     END { printf "\ntests: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
