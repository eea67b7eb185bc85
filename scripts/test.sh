#!/usr/bin/env bash
# All of Tessera's checks and tests: formatting, lints, native tests (with
# the real Python xarray interoperability tests), the core library and the
# web app built for wasm32, the app's browser glue (wasm-bindgen-test) and
# its end-to-end tests in headless Chromium (Playwright). Installs what is
# missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

# The native crates are the default members; the web app (the root
# package) is checked for wasm32 only.
step "cargo clippy (native crates, all targets)"
cargo clippy --all-targets --locked -- -D warnings

step "cargo clippy (tessera-core and the web app for wasm32-unknown-unknown)"
cargo clippy -p tessera-core --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p tessera-app --target wasm32-unknown-unknown --all-targets --locked -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run() { # a test step whose output is counted
  set +e
  "$@" 2>&1 | tee -a "$log"
  local s=${PIPESTATUS[0]}
  set -e
  [ "$s" = 0 ] || status=$s
}

step "cargo test (native crates)"
run cargo test --locked --no-fail-fast

step "cargo test (web app glue, wasm-bindgen-test in headless Chromium)"
run env CHROMEDRIVER=/usr/bin/chromedriver cargo test -p tessera-app \
  --target wasm32-unknown-unknown --locked --no-fail-fast

step "end-to-end tests (Playwright, Chromium, the release build and the demo)"
run scripts/e2e.sh

# One closing line for all test binaries and the end-to-end tests: cargo's
# own last line is the doc tests' (often "0 passed"), which says nothing
# about the rest.
awk '/^test result:/ {
       for (i = 1; i < NF; i++) {
         if ($(i + 1) ~ /^passed/) passed += $i
         if ($(i + 1) ~ /^failed/) failed += $i
       }
     }
     /^e2e: [0-9]+ passed, [0-9]+ failed/ { passed += $2; failed += $4 }
     END { printf "\ntests: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
