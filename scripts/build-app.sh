#!/usr/bin/env bash
# Builds the web app into dist/ with Trunk (release: small wasm, relative
# URLs), then prints the wasm's raw and gzip sizes. Needs the toolchain
# scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

# wasm-opt from npm's binaryen 132 (Debian's is too old), first on PATH.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Trunk's update check needs the internet.
export TRUNK_SKIP_VERSION_CHECK=true

# Trunk.toml is offline (cargo runs with --offline): fetch crates first.
cargo fetch --locked --target wasm32-unknown-unknown >/dev/null
trunk build --release "$@"

# The app and its decoder worker.
for wasm in dist/*.wasm; do
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  printf 'app: %s: %d bytes (%d KB), gzip %d bytes (%d KB)\n' \
    "$wasm" "$raw" $((raw / 1024)) "$gz" $((gz / 1024)) >&2
done
