"""Reads one pixel of every GeoTIFF of a tile with tifffile, independently
of Tessera's own readers, for the end-to-end tests of the pixel inspector.

    read_pixel.py TILE_DIR ROW COL   prints {"FILE.tif": DN, ...} as JSON
"""
import json
import os
import sys

import tifffile


def main(argv):
    folder, row, col = argv[1], int(argv[2]), int(argv[3])
    values = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".tif"):
            with tifffile.TiffFile(os.path.join(folder, name)) as tif:
                values[name] = int(tif.pages[0].asarray()[row, col])
    print(json.dumps(values))


if __name__ == "__main__":
    main(sys.argv)
