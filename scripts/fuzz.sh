#!/usr/bin/env bash
# Coverage-guided fuzzing of a reader of outside bytes (cargo fuzz, on
# nightly Rust from rustup):
#
#   scripts/fuzz.sh TARGET [SECONDS]      (default 60 s; targets: fuzz/fuzz_targets/)
#
# Seeds its corpus from the test fixtures, then runs libFuzzer with a
# memory limit (RSS and single allocations) and a per-input timeout;
# a crash, leak, limit or timeout stops it and leaves the input in
# fuzz/artifacts/TARGET/. Prints libFuzzer's last status line.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
seconds=${2:-60}
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz
fi

corpus=fuzz/corpus/$target
mkdir -p "$corpus"
case $target in
  tiff_layout)
    # The choice byte first: 0 reads without a hint.
    for f in tests/fixtures/tiff-variants/*.tif; do
      { printf '\0'; cat "$f"; } > "$corpus/seed-$(basename "$f")"
    done
    # The tiff crate's layout (the IFD after the data), small.
    cargo run -q --release -p tessera-core --example fuzz_seeds -- "$corpus"
    max_len=65536
    ;;
  cog)
    # COGs of ours (small grids) and GDAL's layout, from the native tests.
    cargo run -q --release -p tessera-core --example fuzz_seeds -- --cog "$corpus"
    max_len=262144
    ;;
  record_file)
    # Record files of every encoding the tests read, fsspec's store's too.
    for f in tests/fixtures/parquet/variants/*.parq tests/fixtures/parquet/fsspec_store/*/*.parq; do
      cp "$f" "$corpus/seed-$(echo "$f" | tr / _)"
    done
    max_len=65536
    ;;
  query)
    # Every parameter the app writes, from the e2e tests' URLs.
    printf '%s' 'refs=demo/refs.json&var=COH&season=summer&pol=vh&days=24&lat=34.5&lon=-118.25&zoom=9.5&cmap=magma&min=0.1&max=0.9&budget=12&pin=35.91625,-120.91625' > "$corpus/seed-view"
    printf '%s' 'var=rho&derive=sigma&t=36&looks=10&swipe=COH:summer_vv_12&divide=0.3&area=36,32.5,-121,-115' > "$corpus/seed-derived"
    printf '%s' 'red=COH:winter_vv_12:0:1&green=COH:summer_vv_12:0:1&blue=AMP:winter_vv:-25:0&multiples=seasons&overviews=none' > "$corpus/seed-rgb"
    max_len=4096
    ;;
  references)
    # A byte choosing the pieces, then the fixtures' documents.
    for f in tests/fixtures/small_refs.json; do
      { printf '\x07'; cat "$f"; } > "$corpus/seed-$(basename "$f")"
    done
    printf '\x03{"version":1,"templates":{"u":"http://h/x"},"gen":[{"key":"COH/0.0.0.{{i}}.0","url":"{{u}}","dimensions":{"i":{"stop":4}}}],"refs":{}}' > "$corpus/seed-v1-gen"
    max_len=262144
    ;;
esac

mkdir -p fuzz/artifacts
log=fuzz/artifacts/$target.log
status=0
cargo +nightly fuzz run "$target" "$corpus" -- \
  -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
  -max_len="${max_len:-65536}" -print_final_stats=1 > "$log" 2>&1 || status=$?
# The run's figures, and on a failure what failed and where its input is
# (the whole output stays in $log).
grep -E '^(Done|stat::|SUMMARY|==[0-9]+==ERROR|artifact_prefix)|Test unit written|panicked' "$log" || true
exit "$status"
