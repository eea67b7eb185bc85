"""Check GeoTIFFs written by tessera_core::geotiff with tifffile and the
imagecodecs TIFF codec (the one the references name): the bucket's layout,
georeferencing and values.

Usage: check_geotiff.py SPEC.json

SPEC.json: [{path, expected (raw little-endian pixels), dtype, north, west}]
Exits 1 listing every problem, 0 if none.
"""

import json
import sys

import imagecodecs
import numpy
import tifffile

from interop_common import Problems

problems = Problems('MISMATCH')
check = problems.check


def geokeys(directory):
    """{key id: value} of the inline (location 0) keys of a GeoKeyDirectory."""
    entries = [directory[i : i + 4] for i in range(4, len(directory), 4)]
    return {e[0]: e[3] for e in entries if e[1] == 0}


def check_file(f):
    name = f['path']
    dtype = numpy.dtype(f['dtype'])
    want = numpy.fromfile(f['expected'], dtype=dtype.newbyteorder('<'))
    want = want.reshape(1200, 1200).astype(dtype)
    with tifffile.TiffFile(name) as tif:
        check(len(tif.pages) == 1, f'{name}: {len(tif.pages)} pages, expected 1')
        check(tif.is_geotiff, f'{name}: tifffile does not see a GeoTIFF')
        page = tif.pages[0]
        check(page.shape == (1200, 1200), f'{name}: shape {page.shape}')
        check(page.dtype == dtype, f'{name}: dtype {page.dtype}, expected {dtype}')
        check(page.samplesperpixel == 1, f'{name}: {page.samplesperpixel} samples')
        check(
            page.compression == tifffile.COMPRESSION.LZW,
            f'{name}: compression {page.compression!r}',
        )
        check(
            page.predictor == tifffile.PREDICTOR.NONE,
            f'{name}: predictor {page.predictor!r}',
        )
        check(page.rowsperstrip == 6, f'{name}: rowsperstrip {page.rowsperstrip}')
        check(len(page.dataoffsets) == 200, f'{name}: {len(page.dataoffsets)} strips')
        check(not page.is_tiled, f'{name}: tiled')
        tags = page.tags
        scale = tags['ModelPixelScaleTag'].value
        check(
            tuple(scale) == (1 / 1200, 1 / 1200, 0.0),
            f'{name}: ModelPixelScale {scale}',
        )
        tiepoint = tags['ModelTiepointTag'].value
        check(
            tuple(tiepoint) == (0.0, 0.0, 0.0, f['west'], f['north'], 0.0),
            f'{name}: ModelTiepoint {tiepoint}, expected upper-left '
            f'({f["west"]}, {f["north"]})',
        )
        keys = tags['GeoKeyDirectoryTag'].value
        inline = geokeys(keys)
        check(keys[0] == 1, f'{name}: GeoKeyDirectory version {keys[0]}')
        check(inline.get(1024) == 2, f'{name}: GTModelTypeGeoKey {inline.get(1024)}')
        check(inline.get(1025) == 1, f'{name}: GTRasterTypeGeoKey {inline.get(1025)}')
        check(inline.get(2048) == 4326, f'{name}: GeographicTypeGeoKey {inline.get(2048)}')
        geo = tif.geotiff_metadata or {}
        check(
            int(geo.get('GTModelTypeGeoKey', 0)) == 2
            and int(geo.get('GTRasterTypeGeoKey', 0)) == 1
            and int(geo.get('GeographicTypeGeoKey', 0)) == 4326,
            f'{name}: geotiff_metadata {geo}',
        )
        nodata = tags['GDAL_NODATA'].value if 'GDAL_NODATA' in tags else None
        check(nodata == '0', f'{name}: GDAL_NODATA {nodata!r}')
        check(page.nodata == 0, f'{name}: tifffile nodata {page.nodata!r}')
        got = page.asarray()
        bad = numpy.argwhere(got != want)
        check(
            got.dtype == dtype and not len(bad),
            f'{name}: tifffile reads {len(bad)} wrong pixels, first {bad[:3].tolist()}',
        )
    # The codec xarray decodes the references' chunks with.
    with open(name, 'rb') as fh:
        decoded = imagecodecs.tiff_decode(fh.read())
    check(
        decoded.dtype == dtype and numpy.array_equal(decoded, want),
        f'{name}: imagecodecs.tiff_decode gives {decoded.dtype} {decoded.shape}, '
        'not the expected pixels',
    )
    print(f'{name}: {dtype}, LZW, 200 strips of 6 rows, EPSG:4326, nodata 0')


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as fh:
        spec = json.load(fh)
    for f in spec:
        check_file(f)
    problems.finish('problems', f'{len(spec)} GeoTIFFs')


if __name__ == '__main__':
    main()
