#!/usr/bin/env bash
# Installs what building and testing Tessera needs, idempotently: a second
# run on a set-up machine takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

# Cargo probes rustc with its source read from /dev/null. An earlier
# `tessera refs -o /dev/null` (since fixed) renamed a regular file over the
# device, and every probe then read garbage: repair that if we can.
if [ ! -c /dev/null ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: /dev/null is not a device; recreating it" >&2
    rm -f /dev/null && mknod -m 666 /dev/null c 1 3
  else
    echo "setup: /dev/null is not a device (as root: rm /dev/null; mknod -m 666 /dev/null c 1 3)" >&2
    exit 1
  fi
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust with rustup first" >&2
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    step "rustup component add $component"
    rustup component add "$component"
  fi
done

# Python venv for the xarray interoperability tests and the seed benchmark.
req=tests/interop/requirements.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  step "python venv .venv from $req"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
