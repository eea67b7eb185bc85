"""Reads stored values (DN) from a tile GeoTIFF with tifffile, independently
of Tessera's own decoder, for the end-to-end tests.

    read_dn.py FILE ROW COL [ROW COL ...]   prints the DN at each (row, col)
    read_dn.py FILE --nodata                prints "ROW COL" of a DN-0 pixel
                                            surrounded by DN 0 (or nothing)
"""
import sys

import numpy
import tifffile


def main(argv):
    data = tifffile.imread(argv[1])
    if argv[2:] == ["--nodata"]:
        # A no-data pixel whose 5x5 neighbourhood is no data too, so that a
        # screen pixel near it is certainly transparent.
        zero = data == 0
        inner = zero[2:-2, 2:-2].copy()
        for dr in range(-2, 3):
            for dc in range(-2, 3):
                inner &= zero[2 + dr : data.shape[0] - 2 + dr, 2 + dc : data.shape[1] - 2 + dc]
        rows, cols = numpy.nonzero(inner)
        if len(rows):
            i = len(rows) // 2
            print(rows[i] + 2, cols[i] + 2)
        return
    pairs = [int(x) for x in argv[2:]]
    print(" ".join(str(int(data[r, c])) for r, c in zip(pairs[::2], pairs[1::2])))


if __name__ == "__main__":
    main(sys.argv)
