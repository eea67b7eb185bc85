"""The reference side of the export benchmark: in one warm Python process
(fsspec + xarray + imagecodecs, as the seed opens the references), read
a layer over an area and write it as a tiled, Deflate GeoTIFF with
rasterio (GDAL), as `tessera export` and the web app's download do.

Usage: export_xarray.py REFS_URL N,S,W,E RUNS OUT.tif

Prints JSON: the time to open the references, and per run the time to
read (select and decode the files) and to write.
"""

import json
import sys
import time
import urllib.parse

import fsspec
import imagecodecs.numcodecs
import rasterio
import xarray
from rasterio.transform import from_origin


def main():
    url, bbox, runs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    north, south, west, east = (float(x) for x in bbox.split(','))
    imagecodecs.numcodecs.register_codecs()
    t0 = time.perf_counter()
    with fsspec.open(url) as f:
        refs = json.load(f)
    refs = refs.get('refs', refs)
    for value in refs.values():
        if isinstance(value, list):
            value[0] = urllib.parse.urljoin(url, value[0])
    mapper = fsspec.get_mapper('reference://', fo=refs, remote_protocol=url.split(':')[0])
    ds = xarray.open_dataset(mapper, engine='zarr', mask_and_scale=False, backend_kwargs={'consolidated': False})
    opened = time.perf_counter() - t0
    reads, writes = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        view = ds.sel(latitude=slice(north, south), longitude=slice(west, east))
        array = view['COH'].sel(season='winter', polarization='vv', coherence=12).values
        t1 = time.perf_counter()
        with rasterio.open(
            out, 'w', driver='GTiff', width=array.shape[1], height=array.shape[0], count=1,
            dtype=array.dtype, crs='EPSG:4326', transform=from_origin(west, north, 1 / 1200, 1 / 1200),
            nodata=0, tiled=True, blockxsize=256, blockysize=256, compress='deflate', predictor=2,
        ) as dst:
            dst.write(array, 1)
        writes.append(time.perf_counter() - t1)
        reads.append(t1 - t0)
    print(json.dumps({'open_s': opened, 'read_s': reads, 'write_s': writes, 'shape': list(array.shape)}))


if __name__ == '__main__':
    main()
