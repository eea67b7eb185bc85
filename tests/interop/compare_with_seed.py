"""Check that two fsspec reference files describe the same dataset: ours
(`tessera refs`) and the seed's (tifffile + zarr 2), for the same listing.

Usage: compare_with_seed.py OURS.json SEED.json

Both are opened with xarray exactly as the seed does (no chunk is fetched:
only inline metadata and coordinates are read) and compared for variables,
dims, shapes, dtypes, attrs, encodings and coordinate arrays. Then the JSON
documents are compared key by key: every data-variable key (metadata and
chunk URL) must be identical; coordinate keys must exist in both with equal
zarr metadata (their compressed chunk bytes may differ, the decoded arrays
are compared through xarray).

Exits 1 listing every difference, 0 if none.
"""

import json
import sys

import numpy

from interop_common import Problems, open_like_the_seed

COORDINATES = (
    'latitude',
    'longitude',
    'orbit',
    'season',
    'polarization',
    'coherence',
    'flightdirection',
)
ENCODING_KEYS = ('chunks', 'preferred_chunks', 'dtype')

problems = Problems('DIFFERENCE')
fail = problems.add


def is_coordinate_key(key):
    return key in ('.zgroup', '.zattrs') or key.split('/', 1)[0] in COORDINATES


def compare_datasets(ours, seed):
    if dict(ours.sizes) != dict(seed.sizes):
        fail(f'sizes {dict(ours.sizes)} != seed {dict(seed.sizes)}')
    if ours.attrs != seed.attrs:
        fail(f'dataset attrs {ours.attrs} != seed {seed.attrs}')
    if set(ours.data_vars) != set(seed.data_vars):
        fail(f'variables {sorted(ours.data_vars)} != seed {sorted(seed.data_vars)}')
    for name in sorted(set(ours.data_vars) & set(seed.data_vars)):
        a, b = ours[name], seed[name]
        for what in ('dims', 'shape', 'dtype', 'attrs'):
            if getattr(a, what) != getattr(b, what):
                fail(f'{name}.{what}: {getattr(a, what)} != seed {getattr(b, what)}')
        for key in ENCODING_KEYS:
            if a.encoding.get(key) != b.encoding.get(key):
                fail(
                    f'{name}.encoding[{key!r}]: {a.encoding.get(key)} '
                    f'!= seed {b.encoding.get(key)}'
                )
    if set(ours.coords) != set(seed.coords):
        fail(f'coordinates {sorted(ours.coords)} != seed {sorted(seed.coords)}')
    for name in COORDINATES:
        if name not in ours.coords or name not in seed.coords:
            fail(f'coordinate {name} missing')
            continue
        a, b = ours[name], seed[name]
        if a.dtype != b.dtype or a.dims != b.dims or a.attrs != b.attrs:
            fail(
                f'coordinate {name}: {a.dtype} {a.dims} {a.attrs} '
                f'!= seed {b.dtype} {b.dims} {b.attrs}'
            )
        if not numpy.array_equal(a.values, b.values):
            diff = numpy.flatnonzero(a.values != b.values)
            fail(
                f'coordinate {name}: {len(diff)} values differ, first at {diff[0]}: '
                f'{a.values[diff[0]]!r} != seed {b.values[diff[0]]!r}'
            )


def compare_json(ours_path, seed_path):
    with open(ours_path) as fh:
        ours = json.load(fh)
    with open(seed_path) as fh:
        seed = json.load(fh)
    for forbidden in ('version', 'refs', 'templates', 'gen'):
        if forbidden in ours:
            fail(f'our JSON has a top-level {forbidden!r} key (the seed has none)')
    only_ours = sorted(set(ours) - set(seed))
    only_seed = sorted(set(seed) - set(ours))
    if only_ours:
        fail(f'{len(only_ours)} keys only in ours, e.g. {only_ours[:5]}')
    if only_seed:
        fail(f'{len(only_seed)} keys only in the seed, e.g. {only_seed[:5]}')
    data_keys = 0
    differ = []
    for key in sorted(set(ours) & set(seed)):
        a, b = ours[key], seed[key]
        if not is_coordinate_key(key):
            data_keys += 1
            if a != b:
                differ.append(f'{key}: {a!r} != seed {b!r}')
        elif key.endswith(('.zarray', '.zattrs', '.zgroup')):
            if json.loads(a) != json.loads(b):
                differ.append(f'{key}: {a!r} != seed {b!r}')
    if differ:
        fail(f'{len(differ)} keys differ, first: ' + '; '.join(differ[:5]))
    chunk_refs = sum(isinstance(v, list) for v in seed.values())
    return data_keys, chunk_refs


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ours_path, seed_path = sys.argv[1:]
    ours = open_like_the_seed(ours_path)
    seed = open_like_the_seed(seed_path)
    print(ours)
    compare_datasets(ours, seed)
    data_keys, chunk_refs = compare_json(ours_path, seed_path)
    problems.finish(
        'differences',
        f'{len(seed.data_vars)} variables, {len(COORDINATES)} coordinates, '
        f'{data_keys} data-variable keys ({chunk_refs} chunk URLs) identical',
    )


if __name__ == '__main__':
    main()
