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

# ---- The web app's toolchain (see README "Building the web app") ----
# Versions are pinned together: wasm-bindgen-cli must equal the
# wasm-bindgen crate in Cargo.lock, and wasm-opt must be binaryen 132 from
# npm (Debian's 108 emits a wasm that fails to instantiate).
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130

have_version() { # command, expected version substring
  command -v "$1" >/dev/null && "$1" --version 2>/dev/null | grep -qF "$2"
}

if ! have_version trunk "$TRUNK_VERSION"; then
  step "cargo install trunk@$TRUNK_VERSION (about 15 minutes on 2 cores)"
  cargo install --locked "trunk@$TRUNK_VERSION"
fi

if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  # Not --locked: its lock pins a webpki-roots the registry here lacks.
  step "cargo install wasm-bindgen-cli@$WASM_BINDGEN_VERSION"
  cargo install --force "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  step "apt-get install chromium chromium-driver"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi

# npm: binaryen (wasm-opt) and playwright-core, exactly as package-lock.json
# says. Never `playwright install`: it downloads a browser.
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
