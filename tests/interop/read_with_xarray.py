"""Open fsspec references exactly as the Earthbigdata seed does and check
values, coordinates, dims and dtypes against an expected-values JSON.

Usage: read_with_xarray.py REFS.json EXPECTED.json

EXPECTED.json (written by crates/tessera-cli/tests/xarray_interop.rs):
  variables:   {name: {dtype, dims, shape}}
  pixels:      [{variable, labels, row, col, value, lat, lon, why}]  (global row/col)
  windows:     [{variable, labels, row0, col0, values (2-D list)}]   (isel windows)
  mosaics:     [{variable, labels, row0, col0, rows, cols, dtype, file}]
               (raw little-endian expected values of a whole block)
  sel_windows: [{mosaic, latitude: [start, stop], longitude: [start, stop]}]
  loc:         [{variable, sel: {latitude, longitude}, row0, col0, loc, index, value}]
               (the seed's `socal = ds.sel(...)`, `socal[v].loc[...][i, j]`)

Exits 1 with a list of every mismatch, 0 if everything matches.
"""

import json
import sys

import numpy

from interop_common import Problems, open_like_the_seed

TILE = 1200
NORTH_EDGE = 82
WEST_EDGE = -180
COORD_TOLERANCE = 1e-5

problems = Problems('MISMATCH')
fail = problems.add


def pixel_centres(first, count, axis):
    """Expected coordinate of global pixels first..first+count from tile bounds."""
    g = numpy.arange(first, first + count)
    within = (g % TILE + 0.5) / TILE
    if axis == 'latitude':
        return (NORTH_EDGE - g // TILE) - within
    return (WEST_EDGE + g // TILE) + within


def check_coords(name, values, first, what):
    want = pixel_centres(first, len(values), name)
    diff = numpy.abs(values.astype(numpy.float64) - want)
    if diff.size and diff.max() > COORD_TOLERANCE:
        i = int(diff.argmax())
        fail(
            f'{what}: {name}[{first + i}] = {values[i]!r}, '
            f'expected pixel centre {want[i]!r} (off by {diff[i]:.3g})'
        )


def compare_arrays(got, want, what, row0, col0):
    if got.shape != want.shape:
        fail(f'{what}: shape {got.shape}, expected {want.shape}')
        return
    if got.dtype != want.dtype:
        fail(f'{what}: dtype {got.dtype}, expected {want.dtype}')
    bad = numpy.argwhere(got != want)
    if len(bad):
        first = ', '.join(
            f'({row0 + r}, {col0 + c}): got {got[r, c]} expected {want[r, c]}'
            for r, c in bad[:5]
        )
        fail(f'{what}: {len(bad)} of {want.size} pixels differ, first at global {first}')


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    refs, expected_path = sys.argv[1:]
    with open(expected_path) as fh:
        expected = json.load(fh)

    ds = open_like_the_seed(refs)
    print(ds)
    lat = ds['latitude'].values
    lon = ds['longitude'].values

    # Dims, shapes and dtypes of the data variables and coordinates.
    for name, spec in expected['variables'].items():
        if name not in ds.data_vars:
            fail(f'variable {name} missing; have {sorted(ds.data_vars)}')
            continue
        da = ds[name]
        if da.dims != tuple(spec['dims']):
            fail(f'{name}: dims {da.dims}, expected {tuple(spec["dims"])}')
        if da.shape != tuple(spec['shape']):
            fail(f'{name}: shape {da.shape}, expected {tuple(spec["shape"])}')
        if da.dtype != numpy.dtype(spec['dtype']):
            fail(f'{name}: dtype {da.dtype}, expected {spec["dtype"]}')
    for name, dtype, size in [
        ('latitude', 'float32', 193200),
        ('longitude', 'float32', 432000),
        ('orbit', 'int32', 175),
        ('coherence', 'uint8', 6),
    ]:
        c = ds[name]
        if c.dtype != numpy.dtype(dtype) or c.size != size:
            fail(f'coordinate {name}: {c.dtype}[{c.size}], expected {dtype}[{size}]')

    # Single pixels by layer labels and global row/column.
    for p in expected['pixels']:
        what = f'{p["variable"]} {p["labels"]} ({p["row"]}, {p["col"]}) [{p["why"]}]'
        try:
            px = ds[p['variable']].sel(**p['labels']).isel(
                latitude=p['row'], longitude=p['col']
            )
            got = px.values
        except Exception as e:  # report every failing read, not just the first
            fail(f'{what}: read failed: {type(e).__name__}: {e}')
            continue
        if got.shape != () or int(got) != p['value']:
            fail(f'{what}: got {got!r}, expected {p["value"]}')
        if got.dtype != numpy.dtype(expected['variables'][p['variable']]['dtype']):
            fail(f'{what}: dtype {got.dtype}')
        for name, want in (('latitude', p['lat']), ('longitude', p['lon'])):
            have = float(px[name])
            if abs(have - want) > COORD_TOLERANCE:
                fail(f'{what}: {name} {have!r}, expected pixel centre {want!r}')

    # Small isel windows across tile borders.
    for w in expected['windows']:
        want = numpy.array(
            w['values'], dtype=expected['variables'][w['variable']]['dtype']
        )
        rows, cols = want.shape
        what = f'{w["variable"]} {w["labels"]} window at ({w["row0"]}, {w["col0"]})'
        got = (
            ds[w['variable']]
            .sel(**w['labels'])
            .isel(
                latitude=slice(w['row0'], w['row0'] + rows),
                longitude=slice(w['col0'], w['col0'] + cols),
            )
        )
        compare_arrays(got.values, want, what, w['row0'], w['col0'])
        check_coords('latitude', got['latitude'].values, w['row0'], what)
        check_coords('longitude', got['longitude'].values, w['col0'], what)

    # Whole blocks, with their missing tile and nodata squares.
    mosaics = []
    for m in expected['mosaics']:
        dtype = numpy.dtype(m['dtype']).newbyteorder('<')
        want = numpy.fromfile(m['file'], dtype=dtype).reshape(m['rows'], m['cols'])
        want = want.astype(m['dtype'])
        mosaics.append(want)
        what = f'{m["variable"]} {m["labels"]} block at ({m["row0"]}, {m["col0"]})'
        got = (
            ds[m['variable']]
            .sel(**m['labels'])
            .isel(
                latitude=slice(m['row0'], m['row0'] + m['rows']),
                longitude=slice(m['col0'], m['col0'] + m['cols']),
            )
        )
        compare_arrays(got.values, want, what, m['row0'], m['col0'])
        check_coords('latitude', got['latitude'].values, m['row0'], what)
        check_coords('longitude', got['longitude'].values, m['col0'], what)
        print(f'{what}: {want.size} pixels, {int((want == 0).sum())} zero')

    # Label-based windows, compared with the block they fall in.
    lat_index = ds.get_index('latitude')
    lon_index = ds.get_index('longitude')
    for s in expected['sel_windows']:
        m = expected['mosaics'][s['mosaic']]
        a, b = s['latitude']
        c, d = s['longitude']
        what = (
            f'{m["variable"]} {m["labels"]} '
            f'.sel(latitude=slice({a}, {b}), longitude=slice({c}, {d}))'
        )
        got = ds[m['variable']].sel(**m['labels']).sel(
            latitude=slice(a, b), longitude=slice(c, d)
        )
        rows = lat_index.get_indexer(got['latitude'].values)
        cols = lon_index.get_indexer(got['longitude'].values)
        expected_size = (round((a - b) * TILE), round((d - c) * TILE))
        if any(abs(n - e) > 1 for n, e in zip(got.shape, expected_size)):
            fail(f'{what}: shape {got.shape}, expected about {expected_size}')
            continue
        if not (numpy.all(numpy.diff(rows) == 1) and numpy.all(numpy.diff(cols) == 1)):
            fail(f'{what}: rows/columns not contiguous')
            continue
        if (
            got['latitude'].values.max() > a
            or got['latitude'].values.min() < b
            or got['longitude'].values.min() < c
            or got['longitude'].values.max() > d
        ):
            fail(f'{what}: coordinates outside the slice')
        r0, c0 = int(rows[0]) - m['row0'], int(cols[0]) - m['col0']
        if r0 < 0 or c0 < 0 or r0 + len(rows) > m['rows'] or c0 + len(cols) > m['cols']:
            fail(f'{what}: global rows {rows[0]}.. cols {cols[0]}.. outside the block')
            continue
        want = mosaics[s['mosaic']][r0 : r0 + len(rows), c0 : c0 + len(cols)]
        compare_arrays(got.values, want, what, int(rows[0]), int(cols[0]))
        check_coords('latitude', got['latitude'].values, int(rows[0]), what)
        check_coords('longitude', got['longitude'].values, int(cols[0]), what)

    # The seed's way: socal = ds.sel(...); socal['COH'].loc['winter', 'vv', 12][i, j].
    for s in expected['loc']:
        sel = s['sel']
        what = (
            f'ds.sel(latitude=slice{tuple(sel["latitude"])}, '
            f'longitude=slice{tuple(sel["longitude"])})'
            f'[{s["variable"]!r}].loc[{s["loc"]}][{s["index"][0]}, {s["index"][1]}]'
        )
        socal = ds.sel(
            latitude=slice(*sel['latitude']), longitude=slice(*sel['longitude'])
        )
        if socal['latitude'].values[0] != lat[s['row0']] or (
            socal['longitude'].values[0] != lon[s['col0']]
        ):
            fail(
                f'{what}: selection starts at ({socal["latitude"].values[0]}, '
                f'{socal["longitude"].values[0]}), expected global pixel '
                f'({s["row0"]}, {s["col0"]})'
            )
            continue
        layer = socal[s['variable']].loc[tuple(s['loc'])]
        if layer.dims != ('latitude', 'longitude'):
            fail(f'{what}: .loc gives dims {layer.dims}')
            continue
        got = layer[s['index'][0], s['index'][1]].values
        if int(got) != s['value']:
            fail(f'{what}: got {got!r}, expected {s["value"]}')

    checked = (
        f'{len(expected["pixels"])} pixels, {len(expected["windows"])} windows, '
        f'{len(expected["mosaics"])} blocks, {len(expected["sel_windows"])} .sel windows, '
        f'{len(expected["loc"])} .loc reads'
    )
    problems.finish('mismatches', checked)


if __name__ == '__main__':
    main()
