#!/usr/bin/env bash
# Runs Tessera on the offline demo data set: builds the `tessera` CLI and
# the web app, generates the demo into ./demo (about a minute the first
# time, then reused), and serves both at http://127.0.0.1:${PORT:-8080}/
# with the CORS headers an S3 bucket set up for browsers sends. The page
# opens on the seed's selection. Ctrl-C stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-8080}
scripts/setup.sh
cargo build --release --locked -p tessera-cli
scripts/build-app.sh
./target/release/tessera demo --out demo
# The app looks for demo/refs.json beside itself when no ?refs= is given.
ln -sfn ../demo dist/demo
cat <<MSG

Tessera: open http://127.0.0.1:$port/ (the seed's selection: COH, winter, vv, 12 days).
The same references as a parquet store, read a record file at a time:
  http://127.0.0.1:$port/?refs=demo/refs.parq
Other references: http://127.0.0.1:$port/?refs=URL (any host that sends CORS headers).
For xarray, give the demo's references absolute URLs first (instant):
  ./target/release/tessera demo --out demo --baseurl http://127.0.0.1:$port/demo/data/tiles/

MSG
exec ./target/release/tessera serve dist --port "$port" --cors '*'
