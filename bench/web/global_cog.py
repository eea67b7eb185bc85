"""Writes a global COG like the bucket's own mosaics (data/mosaics/), with
GDAL (rasterio's COG driver), for the overviews benchmark:

    global_cog.py OUT.tif

The data set's grid (82 N to 79 S, 180 W to 180 E) at 0.01°: 36,000 ×
16,100 uint8 pixels of a coherence-like field (DN 1-100, smooth with
noise, so it compresses as real data does), nodata (0) over a third of
the globe in broad "oceans"; tiled 512², Deflate with the predictor,
GDAL's own overviews (average), sparse tiles.
"""
import sys

import numpy
import rasterio
from rasterio.transform import from_origin

WIDTH, HEIGHT, RES = 36000, 16100, 0.01


def rows(y0, y1, rng):
    lat = 82 - (numpy.arange(y0, y1) + 0.5) * RES
    lon = -180 + (numpy.arange(WIDTH) + 0.5) * RES
    lon2, lat2 = numpy.meshgrid(lon, lat)
    field = 45 + 25 * numpy.sin(numpy.radians(lon2) * 7) * numpy.cos(numpy.radians(lat2) * 5)
    field += rng.integers(-12, 13, size=field.shape)
    values = numpy.clip(field, 1, 100).astype(numpy.uint8)
    ocean = numpy.sin(numpy.radians(lon2) * 2.3) + numpy.cos(numpy.radians(lat2) * 3.1 + 1) < -0.4
    values[ocean] = 0
    return values


def main():
    out = sys.argv[1]
    rng = numpy.random.default_rng(5)
    data = numpy.zeros((HEIGHT, WIDTH), numpy.uint8)
    for y0 in range(0, HEIGHT, 1000):
        y1 = min(HEIGHT, y0 + 1000)
        data[y0:y1] = rows(y0, y1, rng)
    profile = dict(
        driver='COG', width=WIDTH, height=HEIGHT, count=1, dtype='uint8',
        crs='EPSG:4326', transform=from_origin(-180.0, 82.0, RES, RES), nodata=0,
        compress='DEFLATE', predictor='YES', blocksize=512, overviews='AUTO',
        resampling='average', sparse_ok=True, num_threads='ALL_CPUS',
    )
    with rasterio.open(out, 'w', **profile) as dst:
        dst.write(data, 1)
    with rasterio.open(out) as src:
        print(f'{out}: {src.width}x{src.height}, overviews {src.overviews(1)}')


if __name__ == '__main__':
    main()
