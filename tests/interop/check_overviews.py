"""Checks `tessera overviews` with tools we did not write.

    check_overviews.py OVERVIEWS_DIR TILES_DIR [--layers N]

For every COG the manifest (OVERVIEWS_DIR/overviews.json) lists:
* rio-cogeo's validator accepts it, with no warning;
* rasterio (GDAL) sees the manifest's levels, EPSG:4326, the transform of
  the grid (and of every overview: twice the pixel size of the level
  above, across and down), nodata 0 and the layer's dtype;
* at chosen pixels of every level (inside, at the corners of and between
  source files' footprints, and where there is no file), rasterio reads the
  value computed here with numpy from the source GeoTIFFs (tifffile):
  the source pixels whose centres fall in the output pixel, zeros left out,
  combined as the layer's aggregation says (mean rounded half up; AMP's
  mean power back to DN; lsmap's largest code).

TILES_DIR is the data/tiles/ folder the references point at.
"""

import argparse
import functools
import json
import math
import os
import random
import sys

import numpy
import rasterio
import tifffile
from rasterio.windows import Window
from rio_cogeo.cogeo import cog_validate

from interop_common import Problems

TILE = 1200


def tile_corner(name):
    """N36W121 -> (first global row, first global column) at 1/1200 deg."""
    north = int(name[1:3]) * (1 if name[0] == 'N' else -1)
    west = int(name[4:7]) * (1 if name[3] == 'E' else -1)
    return (82 - north) * TILE, (west + 180) * TILE


@functools.lru_cache(maxsize=64)
def source(path):
    return tifffile.imread(path)


def files_of(tiles_dir, layer):
    """{(first row, first column): path} of the layer's source files."""
    found = {}
    for name in sorted(os.listdir(tiles_dir)):
        path = os.path.join(tiles_dir, name, f'{name}_{layer}.tif')
        if os.path.exists(path):
            found[tile_corner(name)] = path
    return found


def indices_in(first, last, ratio):
    """Global source indices whose centre falls in output pixels
    first..last (inclusive) at full resolution."""
    lo = max(0, int(math.floor(first * ratio)) - 2)
    hi = int(math.ceil((last + 1) * ratio)) + 2
    candidates = numpy.arange(lo, hi, dtype=numpy.int64)
    out = numpy.floor((candidates + 0.5) / ratio).astype(numpy.int64)
    return candidates[(out >= first) & (out <= last)]


def expected(files, ratio, level, x, y, aggregation):
    """The value the overview should hold at (x, y) of `level`."""
    rows = indices_in(y << level, ((y + 1) << level) - 1, ratio)
    columns = indices_in(x << level, ((x + 1) << level) - 1, ratio)
    values = []
    for (r0, c0), path in files.items():
        r = rows[(rows >= r0) & (rows < r0 + TILE)] - r0
        c = columns[(columns >= c0) & (columns < c0 + TILE)] - c0
        if len(r) and len(c):
            block = source(path)[numpy.ix_(r, c)].astype(numpy.int64).ravel()
            values.append(block[block != 0])
    valid = numpy.concatenate(values) if values else numpy.zeros(0, numpy.int64)
    n = len(valid)
    if n == 0:
        return 0
    if aggregation.startswith('most severe'):
        return int(valid.max())
    if aggregation.startswith('mean power'):
        s = int((valid * valid).sum())
        return int(math.floor(math.sqrt(s / n) + 0.5))
    s = int(valid.sum())
    return (2 * s + n) // (2 * n)


def footprint(r0, c0, ratio, level):
    """(x0, y0, x1, y1) at `level` of a source file's pixels."""
    f = lambda i: int(math.floor((i + 0.5) / ratio)) >> level
    return f(c0), f(r0), f(c0 + TILE - 1), f(r0 + TILE - 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('overviews')
    parser.add_argument('tiles')
    parser.add_argument('--layers', type=int, default=0, help='check at most N layers (0: all)')
    args = parser.parse_args()
    manifest = json.load(open(os.path.join(args.overviews, 'overviews.json')))
    problems = Problems('overviews')
    ratio = TILE * manifest['resolution']
    rng = random.Random(7)
    layers = manifest['layers']
    if args.layers:
        # Every variable, then the rest in order.
        first = {}
        for entry in layers:
            first.setdefault(entry['variable'], entry)
        rest = [e for e in layers if e not in first.values()]
        layers = (list(first.values()) + rest)[: args.layers]
    checked = 0
    for entry in layers:
        path = os.path.join(args.overviews, entry['url'])
        label = entry['layer']
        valid, errors, warnings = cog_validate(path, quiet=True)
        problems.check(valid and not warnings, f'{label}: rio cogeo validate: {errors} {warnings}')
        files = files_of(args.tiles, label)
        problems.check(len(files) == entry['files'], f'{label}: {len(files)} source files, manifest says {entry["files"]}')
        with rasterio.open(path) as cog:
            problems.check(cog.crs.to_epsg() == 4326, f'{label}: CRS {cog.crs}')
            problems.check(cog.nodata == 0, f'{label}: nodata {cog.nodata}')
            problems.check(cog.dtypes[0] == entry['dtype'], f'{label}: dtype {cog.dtypes[0]}')
            t = cog.transform
            res = manifest['resolution']
            problems.check(
                (t.a, t.b, t.c, t.d, t.e, t.f) == (res, 0.0, manifest['west'], 0.0, -res, manifest['north']),
                f'{label}: transform {t}')
            levels = manifest['levels']
            problems.check(
                [(cog.width, cog.height)] == [(levels[0]['width'], levels[0]['height'])]
                and cog.overviews(1) == [2 ** k for k in range(1, len(levels))],
                f'{label}: size {cog.width}x{cog.height}, overviews {cog.overviews(1)}')
        for level, shape in enumerate(levels):
            opener = {} if level == 0 else {'OVERVIEW_LEVEL': level - 1}
            points = set()
            for (r0, c0) in rng.sample(sorted(files), min(3, len(files))):
                x0, y0, x1, y1 = footprint(r0, c0, ratio, level)
                points |= {(x0, y0), (x1, y1), (x0, y1), (x1 + 1, y0), (x0 - 1, y1 + 1)}
                points |= {(rng.randint(x0, x1), rng.randint(y0, y1)) for _ in range(3)}
            points.add((0, 0))
            points = {(x, y) for x, y in points if 0 <= x < shape['width'] and 0 <= y < shape['height']}
            with rasterio.open(path, **opener) as cog:
                problems.check((cog.width, cog.height) == (shape['width'], shape['height']),
                               f'{label} level {level}: {cog.width}x{cog.height}, manifest {shape}')
                # GDAL's pixel size of an overview (the extent over its
                # size) is the one it was made with, across and down: a
                # reader places each pixel where its sources are.
                t = cog.transform
                size = manifest['resolution'] * 2 ** level
                problems.check(abs(t.a - size) < 1e-12 and abs(t.e + size) < 1e-12
                               and abs(shape['degrees'] - size) < 1e-12,
                               f'{label} level {level}: GDAL places pixels of {t.a} x {-t.e} degrees, made {size}')
                for x, y in sorted(points):
                    got = int(cog.read(1, window=Window(x, y, 1, 1))[0, 0])
                    want = expected(files, ratio, level, x, y, entry['aggregation'])
                    problems.check(got == want, f'{label} level {level} pixel ({x}, {y}): rasterio reads {got}, the source files give {want}')
                    checked += 1
    problems.finish('mismatches', f'{len(layers)} COGs valid, {checked} pixels equal the source files\' aggregation at every level')


if __name__ == '__main__':
    sys.exit(main())
