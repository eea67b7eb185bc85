"""Benchmark: `tessera refs` against the seed's tifffile pipeline.

Run it through scripts/bench-refs.sh, which sets up the venv, builds
`target/release/tessera` and generates the synthetic full-scale listing.
Directly:

    .venv/bin/python bench/refs_bench.py [--runs 5] [--listing FILE] ...

Each tool runs --runs times, alternating (tessera, seed, tessera, seed,
...), each run as a child process. Wall time is time.perf_counter() from
spawning the child to reaping it; peak memory is the child's ru_maxrss from
os.wait4 (KiB on Linux). Before each run, untimed, the previous output
is deleted and os.sync() flushes dirty pages. Afterwards the two outputs must be byte-identical
from the first `"COH/.zattrs"` to the end (the part before it holds the
blosc-compressed coordinate arrays, which need not match byte for byte).

Prints a markdown table and writes bench/out/refs_bench.json. This is a
benchmark, not a test: no test suite runs it.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASEURL = (
    'https://sentinel-1-global-coherence-earthbigdata.s3.us-west-2.amazonaws.com'
    '/data/tiles/'
)
MARKER = b'"COH/.zattrs"'

# What the output should show.
TARGET_SPEEDUP = 30.0
TARGET_WALL_S = 1.0
TARGET_RSS_MB = 300.0


def run_child(argv, log_path, out_path):
    """Runs argv; returns (wall seconds, peak RSS KiB, exit status).

    Untimed, first: removes the previous output and flushes dirty pages
    (os.sync), so that neither deleting nor writing back the last run's
    150 MB lands in this run's time.
    """
    if os.path.exists(out_path):
        os.remove(out_path)
    os.sync()
    with open(log_path, 'wb') as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        _, status, rusage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped
    return wall, rusage.ru_maxrss, proc.returncode


def mb(kib):
    """KiB (ru_maxrss on Linux) to decimal megabytes."""
    return kib * 1024 / 1e6


def first_difference(a, b):
    """Offset of the first differing byte (the shorter length if a prefix)."""
    n = min(len(a), len(b))
    block = 1 << 16
    pos = 0
    while pos < n and a[pos:pos + block] == b[pos:pos + block]:
        pos += block
    return next((i for i in range(pos, min(pos + block, n)) if a[i] != b[i]),
                n)


def compare(tessera_out, seed_out):
    with open(tessera_out, 'rb') as fh:
        a = fh.read()
    with open(seed_out, 'rb') as fh:
        b = fh.read()
    result = {
        'tessera_bytes': len(a),
        'seed_bytes': len(b),
        'tessera_marker_offset': a.find(MARKER),
        'seed_marker_offset': b.find(MARKER),
        'prefix_identical': None,
        'identical': False,
    }
    ia, ib = result['tessera_marker_offset'], result['seed_marker_offset']
    if ia < 0 or ib < 0:
        result['error'] = 'no "COH/.zattrs" in ' + (
            'tessera output' if ia < 0 else 'seed output'
        )
        return result
    ta, tb = a[ia:], b[ib:]
    result['tessera_compared_bytes'] = len(ta)
    result['seed_compared_bytes'] = len(tb)
    result['prefix_identical'] = a[:ia] == b[:ib]
    if ta == tb:
        result['identical'] = True
        return result
    off = first_difference(ta, tb)
    line = ta[:off].count(b'\n') + 1
    start = max(0, ta.rfind(b'\n', 0, max(0, off - 200)) + 1)
    result.update(
        first_difference_in_compared_part=off,
        first_difference_tessera_offset=ia + off,
        first_difference_seed_offset=ib + off,
        first_difference_line_from_marker=line,
        tessera_context=ta[start:off + 200].decode('utf-8', 'replace'),
        seed_context=tb[start:off + 200].decode('utf-8', 'replace'),
    )
    return result


def summarize(runs):
    walls = [r['wall_s'] for r in runs]
    rss = [r['peak_rss_kib'] for r in runs]
    return {
        'median_wall_s': statistics.median(walls),
        'min_wall_s': min(walls),
        'max_wall_s': max(walls),
        'median_peak_rss_mb': mb(statistics.median(rss)),
        'max_peak_rss_mb': mb(max(rss)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--runs', type=int, default=5, help='runs per tool (5)')
    ap.add_argument(
        '--listing',
        default=os.path.join(ROOT, 'bench/out/earthbigdata_synthetic.txt'),
        help='aws s3 ls listing (the synthetic full-scale one)',
    )
    ap.add_argument('--baseurl', default=BASEURL)
    ap.add_argument(
        '--tessera', default=os.path.join(ROOT, 'target/release/tessera')
    )
    ap.add_argument(
        '--python', default=os.path.join(ROOT, '.venv/bin/python'),
        help='python with the seed tool chain (tifffile, zarr 2)',
    )
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench/out'))
    args = ap.parse_args()
    if args.runs < 1:
        ap.error('--runs must be at least 1')
    for path in (args.listing, args.tessera, args.python):
        if not os.path.exists(path):
            sys.exit(f'refs_bench: {path} does not exist (run scripts/bench-refs.sh)')
    os.makedirs(args.out, exist_ok=True)

    tessera_out = os.path.join(args.out, 'tessera_refs.json')
    seed_out = os.path.join(args.out, 'seed_refs.json')
    outputs = {'tessera': tessera_out, 'seed': seed_out}
    tools = {
        'tessera': [
            args.tessera, 'refs', args.listing, '-o', tessera_out,
            '--baseurl', args.baseurl,
        ],
        'seed': [
            args.python, os.path.join(ROOT, 'bench/seed_refs.py'),
            args.listing, seed_out, args.baseurl,
        ],
    }
    with open(args.listing, 'rb') as fh:
        listing_lines = sum(1 for _ in fh)
    print(
        f'listing: {args.listing} ({listing_lines:,} lines, '
        f'{os.path.getsize(args.listing):,} bytes)\n'
        f'baseurl: {args.baseurl}\nruns: {args.runs} per tool, alternating\n',
        file=sys.stderr,
    )

    runs = {name: [] for name in tools}
    for i in range(args.runs):
        for name, argv in tools.items():
            log = os.path.join(args.out, f'{name}.log')
            wall, kib, code = run_child(argv, log, outputs[name])
            print(
                f'run {i + 1}/{args.runs} {name:<7} {wall:8.3f} s '
                f'{mb(kib):8.1f} MB  exit {code}',
                file=sys.stderr,
            )
            if code != 0:
                with open(log, errors='replace') as fh:
                    tail = fh.read()[-3000:]
                sys.exit(f'refs_bench: {name} failed (exit {code}):\n'
                         f'  {" ".join(argv)}\n{tail}')
            runs[name].append(
                {'run': i + 1, 'wall_s': wall, 'peak_rss_kib': kib}
            )

    cmp = compare(tessera_out, seed_out)
    stats = {name: summarize(r) for name, r in runs.items()}
    t, s = stats['tessera'], stats['seed']
    speedup = s['median_wall_s'] / t['median_wall_s']
    memratio = s['median_peak_rss_mb'] / t['median_peak_rss_mb']

    print()
    print(f'### tessera refs vs. the seed (tifffile), {args.runs} runs each, '
          f'{listing_lines:,}-line listing')
    print()
    print('| tool | median wall s | min s | max s | median peak RSS MB |')
    print('|---|---:|---:|---:|---:|')
    for name in ('tessera', 'seed'):
        x = stats[name]
        print(f"| {name} | {x['median_wall_s']:.3f} | {x['min_wall_s']:.3f} | "
              f"{x['max_wall_s']:.3f} | {x['median_peak_rss_mb']:.1f} |")
    print()
    print(f'speed ratio seed/tessera: **{speedup:.1f}x**; '
          f'memory ratio seed/tessera: **{memratio:.1f}x** '
          f'(MB = 10^6 bytes, from ru_maxrss)')
    print()
    checks = [
        (f'tessera >= {TARGET_SPEEDUP:g}x faster than the seed',
         speedup >= TARGET_SPEEDUP, f'{speedup:.1f}x'),
        (f'tessera median wall < {TARGET_WALL_S:g} s',
         t['median_wall_s'] < TARGET_WALL_S, f"{t['median_wall_s']:.3f} s"),
        (f'tessera peak RSS < {TARGET_RSS_MB:g} MB',
         t['median_peak_rss_mb'] < TARGET_RSS_MB,
         f"{t['median_peak_rss_mb']:.1f} MB (max {t['max_peak_rss_mb']:.1f})"),
    ]
    for text, ok, value in checks:
        print(f"- target {text}: {'MET' if ok else 'MISSED'} ({value})")
    print()

    if 'error' in cmp:
        print(f"output comparison: DIFFERENT: {cmp['error']}")
    else:
        verdict = 'OK (byte-identical)' if cmp['identical'] else 'DIFFERENT'
        print(
            f'output comparison from the first "COH/.zattrs" to the end: '
            f'{verdict}\n'
            f"- tessera: {cmp['tessera_bytes']:,} bytes, compared "
            f"{cmp['tessera_compared_bytes']:,} from offset "
            f"{cmp['tessera_marker_offset']:,}\n"
            f"- seed:    {cmp['seed_bytes']:,} bytes, compared "
            f"{cmp['seed_compared_bytes']:,} from offset "
            f"{cmp['seed_marker_offset']:,}\n"
            f"- coordinates part before it: "
            f"{'identical' if cmp['prefix_identical'] else 'differs (allowed: blosc bytes)'}"
        )
        if not cmp['identical']:
            print(
                f"- first difference at byte {cmp['first_difference_in_compared_part']:,} "
                f"of the compared part (tessera offset "
                f"{cmp['first_difference_tessera_offset']:,}, seed offset "
                f"{cmp['first_difference_seed_offset']:,}, line "
                f"{cmp['first_difference_line_from_marker']:,} counted from the "
                f'marker)\n--- tessera:\n{cmp["tessera_context"]}\n'
                f'--- seed:\n{cmp["seed_context"]}\n---'
            )

    report = {
        'listing': os.path.relpath(args.listing, ROOT),
        'listing_lines': listing_lines,
        'baseurl': args.baseurl,
        'runs_per_tool': args.runs,
        'commands': {k: ' '.join(v) for k, v in tools.items()},
        'host': {
            'platform': platform.platform(),
            'cpus': os.cpu_count(),
            'python': platform.python_version(),
        },
        'runs': runs,
        'stats': stats,
        'speed_ratio_seed_over_tessera': speedup,
        'memory_ratio_seed_over_tessera': memratio,
        'targets': {text: {'met': ok, 'value': value}
                    for text, ok, value in checks},
        'comparison': cmp,
    }
    path = os.path.join(args.out, 'refs_bench.json')
    with open(path, 'w') as fh:
        json.dump(report, fh, indent=1)
    print(f'\nwrote {path}')
    return 0 if cmp.get('identical') else 1


if __name__ == '__main__':
    sys.exit(main())
