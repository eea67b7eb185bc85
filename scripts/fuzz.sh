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
esac

cargo +nightly fuzz run "$target" "$corpus" -- \
  -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
  -max_len="${max_len:-65536}" -print_final_stats=1 2>&1 | tail -n 8
