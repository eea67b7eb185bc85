#!/usr/bin/env bash
# Runs Tessera on the offline demo data set: builds the `tessera` CLI,
# generates the demo into ./demo (about a minute the first time, then
# reused), and serves it at http://127.0.0.1:${PORT:-8080}/ with the CORS
# headers an S3 bucket set up for browsers sends. Ctrl-C stops the server.
# (The web app, issue 4, will be served from here too.)
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-8080}
cargo build --release --locked -p tessera-cli
./target/release/tessera demo --out demo
./target/release/tessera info demo/refs.json | head -n 12
cat <<MSG

The demo: demo/data/tiles/ (GeoTIFFs in the bucket's layout), demo/listing.txt,
demo/refs.json (URLs relative to it). To open it in xarray, give the references
absolute URLs first (instant; the tiles are reused):

  ./target/release/tessera demo --out demo --baseurl http://127.0.0.1:$port/data/tiles/

MSG
exec ./target/release/tessera serve demo --port "$port" --cors '*'
