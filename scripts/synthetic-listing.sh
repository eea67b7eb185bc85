#!/usr/bin/env bash
# Prints the path of the full-scale synthetic bucket listing (1,033,422
# GeoTIFFs, the bucket's per-variable counts), generating it first unless
# it is cached; the cache is keyed by the generator's source. Used by the
# benchmarks (bench-refs.sh, bench-web.sh). Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

listing=bench/out/earthbigdata_synthetic.txt
stamp=$listing.sha256
gen=crates/tessera-cli/examples/synthetic_listing.rs
want=$(cat "$gen" crates/tessera-core/src/dataset.rs | sha256sum | cut -d' ' -f1)
mkdir -p bench/out
if [ ! -s "$listing" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  printf '\n== generate %s\n' "$listing" >&2
  cargo run --release -p tessera-cli --example synthetic_listing -- "$listing.tmp" >&2
  mv "$listing.tmp" "$listing"
  echo "$want" > "$stamp"
else
  printf '\n== using cached %s\n' "$listing" >&2
fi
echo "$listing"
