"""Check a GeoTIFF written by `tessera export` (or the web app's download)
with GDAL (rasterio) against the array its Python snippet selects with
fsspec and xarray from the same references.

Usage: check_export.py EXPORT.tif SNIPPET.py [MISSING_FILES [TILE...]]

Checks: EPSG:4326; the transform's pixel size and corner against the
snippet's latitude/longitude coordinates; dtype and nodata (0, or NaN for
float32); every value equal to the snippet's `array` (float32: the same
NaNs, and values within one float32 ulp, counted); and, if given, the
number of files GDAL_METADATA lists as missing, and that the pixels of
each TILE (e.g. N34W120: a file the export could not read, which the
snippet's references do have) are no data in the export. Exits 1 listing
every mismatch.
"""

import sys

import numpy
import rasterio

from interop_common import Problems

problems = Problems('MISMATCH')
check = problems.check


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    tif, snippet = sys.argv[1:3]
    namespace = {}
    with open(snippet) as fh:
        exec(compile(fh.read(), snippet, 'exec'), namespace)
    selected = namespace['array']
    want = numpy.asarray(selected)
    with rasterio.open(tif) as src:
        got = src.read(1)
        tags = src.tags()
        check(src.crs is not None and src.crs.to_epsg() == 4326, f'CRS {src.crs}, expected EPSG:4326')
        check(src.count == 1, f'{src.count} bands, expected 1')
        t = src.transform
        nodata = src.nodata
        block = src.block_shapes[0]
        compression = src.compression
    check(block == (256, 256), f'blocks {block}, expected 256 x 256 tiles')
    check(compression is not None and compression.name.lower() == 'deflate', f'compression {compression}')
    check(got.shape == want.shape, f'shape {got.shape}, xarray {want.shape}')
    for name in sys.argv[4:]:
        # The tile's pixels: no data in the export, xarray's elsewhere.
        north = int(name[1:3]) * (1 if name[0] == 'N' else -1)
        west = int(name[4:7]) * (1 if name[3] == 'E' else -1)
        lat = numpy.asarray(selected['latitude'])
        lon = numpy.asarray(selected['longitude'])
        rows = (lat < north) & (lat > north - 1)
        cols = (lon > west) & (lon < west + 1)
        check(rows.any() and cols.any(), f'{name} is not in the area')
        block = numpy.ix_(rows, cols)
        if got.shape == want.shape:
            hole = got[block]
            check(bool((numpy.isnan(hole) if hole.dtype.kind == 'f' else hole == 0).all()),
                  f'{name}: the file that could not be read has values in the export')
        want = want.copy()
        want[block] = numpy.nan if want.dtype.kind == 'f' else 0
    check(got.dtype == want.dtype, f'dtype {got.dtype}, xarray {want.dtype}')
    step = round(t.a * 1200)
    check(abs(t.a * 1200 - step) < 1e-9 and abs(t.e + t.a) < 1e-15, f'pixel size {t.a}, {t.e}')
    # The first selected pixel's centre, from the GeoTIFF's corner.
    offset = (step // 2 + 0.5) / 1200
    lat0 = float(selected['latitude'][0])
    lon0 = float(selected['longitude'][0])
    check(abs(t.f - offset - lat0) < 2e-5, f'north edge {t.f}: first latitude {lat0}, step {step}')
    check(abs(t.c + offset - lon0) < 2e-5, f'west edge {t.c}: first longitude {lon0}, step {step}')
    if got.shape == want.shape:
        if got.dtype.kind == 'f':
            check(nodata is not None and numpy.isnan(nodata), f'nodata {nodata}, expected nan')
            nan_got, nan_want = numpy.isnan(got), numpy.isnan(want)
            check((nan_got == nan_want).all(), f'{(nan_got != nan_want).sum()} pixels differ in being no data')
            both = ~nan_got & ~nan_want
            exact = int((got[both] == want[both]).sum())
            ulps = numpy.abs(got[both].view(numpy.int32).astype(numpy.int64) - want[both].view(numpy.int32).astype(numpy.int64))
            worst = int(ulps.max()) if ulps.size else 0
            check(worst <= 1, f'values differ by up to {worst} float32 ulps')
            print(f'{exact} of {both.sum()} values identical, the rest within {worst} ulp; {nan_got.sum()} no data')
        else:
            check(nodata == 0, f'nodata {nodata}, expected 0')
            differ = got != want
            if differ.any():
                i, j = numpy.argwhere(differ)[0]
                check(False, f'{differ.sum()} pixels differ, first at [{i}, {j}]: {got[i, j]} vs xarray {want[i, j]}')
            print(f'{got.size} values identical; {int((got == 0).sum())} no data')
    for name in ('variable', 'layer', 'scaling', 'references', 'source_files'):
        check(name in tags, f'GDAL_METADATA has no {name}')
    if len(sys.argv) == 4:
        listed = [f for f in tags.get('missing_files', '').split('\n') if f]
        check(len(listed) == int(sys.argv[3]), f'{len(listed)} missing files listed, expected {sys.argv[3]}: {listed}')
    problems.finish('mismatches', f'{tif}: {got.shape[1]} x {got.shape[0]} {got.dtype}, step {step}')


if __name__ == '__main__':
    main()
