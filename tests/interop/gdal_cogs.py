"""Writes COGs with GDAL (rasterio's COG driver) for Tessera's COG reader
to read, and what rasterio reads from them at chosen pixels of every level.

    gdal_cogs.py OUT_DIR

Writes OUT_DIR/<name>.tif for Deflate and LZW, with and without the
horizontal predictor, in 256² and 512² tiles, uint8 and uint16, with
GDAL's own overviews; and OUT_DIR/expected.json:
[{"file", "dtype", "levels": [[w, h], ...], "points": [[level, x, y, value], ...]}].
"""

import json
import os
import random
import sys

import numpy
import rasterio
from rasterio.transform import from_origin

WIDTH, HEIGHT = 2500, 1300  # not multiples of the tile sizes


def pattern(dtype):
    y, x = numpy.mgrid[0:HEIGHT, 0:WIDTH]
    values = (x * 7 + y * 13 + (x * y) % 97) % 250 + 1
    if dtype == 'uint16':
        values = values * 211 + x
    values = values.astype(dtype)
    values[(x + y) % 23 == 0] = 0      # scattered nodata
    values[:200, :300] = 0             # a corner without data (sparse)
    return values


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(3)
    expected = []
    for dtype in ('uint8', 'uint16'):
        data = pattern(dtype)
        for compress in ('DEFLATE', 'LZW'):
            for predictor in ('NO', 'YES'):
                for block in (256, 512):
                    name = f'{dtype}-{compress.lower()}-pred{predictor.lower()}-{block}.tif'
                    path = os.path.join(out, name)
                    profile = dict(
                        driver='COG', width=WIDTH, height=HEIGHT, count=1, dtype=dtype,
                        crs='EPSG:4326', transform=from_origin(-125.0, 40.0, 0.01, 0.01),
                        nodata=0, compress=compress, predictor=predictor, blocksize=block,
                        overviews='AUTO', resampling='average', sparse_ok=True,
                    )
                    with rasterio.open(path, 'w', **profile) as dst:
                        dst.write(data, 1)
                    entry = {'file': name, 'dtype': dtype, 'levels': [], 'points': []}
                    with rasterio.open(path) as src:
                        overviews = src.overviews(1)
                    for level in range(len(overviews) + 1):
                        opener = {} if level == 0 else {'OVERVIEW_LEVEL': level - 1}
                        with rasterio.open(path, **opener) as src:
                            entry['levels'].append([src.width, src.height])
                            whole = src.read(1)
                            points = {(0, 0), (src.width - 1, src.height - 1), (src.width // 2, 0)}
                            points |= {(rng.randrange(src.width), rng.randrange(src.height)) for _ in range(25)}
                            for x, y in sorted(points):
                                entry['points'].append([level, x, y, int(whole[y, x])])
                    expected.append(entry)
    with open(os.path.join(out, 'expected.json'), 'w') as f:
        json.dump(expected, f)
    print(f'wrote {len(expected)} COGs with GDAL {rasterio.__gdal_version__}')


if __name__ == '__main__':
    main()
