"""Reads a COG's values with rasterio (GDAL), independently of Tessera's
own reader, for the end-to-end tests.

    read_cog.py FILE LEVEL LAT LON [LAT LON ...]
        prints the DN at each point from LEVEL (0: the full image, 1: its
        first overview, ...), space-separated, placed as GDAL places the
        level's pixels
"""
import math
import sys

import rasterio


def main(argv):
    path, level = argv[1], int(argv[2])
    points = [float(x) for x in argv[3:]]
    kwargs = {} if level == 0 else {"overview_level": level - 1}
    with rasterio.open(path, **kwargs) as src:
        data = src.read(1)
        inverse = ~src.transform
        out = []
        for lat, lon in zip(points[::2], points[1::2]):
            col, row = inverse * (lon, lat)
            out.append(str(int(data[math.floor(row), math.floor(col)])))
    print(" ".join(out))


if __name__ == "__main__":
    main(sys.argv)
