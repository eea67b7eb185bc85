#!/usr/bin/env bash
# The web app's end-to-end tests: builds the `tessera` CLI and the app
# (release, into dist/), generates the demo for the seed's selection into
# tests/out/e2e-demo (reused on later runs), then runs tests/e2e/*.test.mjs
# (node:test + playwright-core) in Debian's headless Chromium. Screenshots
# land in tests/out/e2e-screenshots/. Ends with "e2e: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PWD/node_modules/.bin:$PATH"
cargo build --release --locked -p tessera-cli
scripts/build-app.sh
./target/release/tessera demo --out tests/out/e2e-demo --bbox -121,32.5,-115,36 >&2

export TESSERA_BIN="$PWD/target/release/tessera"
export TESSERA_DIST="$PWD/dist"
export TESSERA_E2E_DEMO="$PWD/tests/out/e2e-demo"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
node --test --test-concurrency=1 --test-reporter=spec tests/e2e/ 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(sed -n 's/^ℹ pass \([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^ℹ fail \([0-9]*\).*/\1/p' "$log" | tail -1)
echo "e2e: ${passed:-0} passed, ${failed:-0} failed"
if [ "$status" = 0 ] && [ -z "$passed" ]; then
  echo "e2e: no test summary from node --test" >&2
  exit 1
fi
exit "$status"
