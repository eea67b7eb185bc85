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
cargo test --workspace --locked
