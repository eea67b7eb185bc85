"""Native libtiff's time to decode one GeoTIFF tile (imagecodecs, the codec
the seed's references name), the reference for the web benchmark's (b):

    .venv/bin/python bench/libtiff_decode.py FILE.tif [RUNS]

Prints {"file": ..., "medianMs": ..., "minMs": ..., "pixels": ...} as JSON.
"""
import json
import statistics
import sys
import time

import imagecodecs


def main() -> None:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with open(path, 'rb') as fh:
        data = fh.read()
    times = []
    pixels = 0
    for _ in range(runs):
        start = time.perf_counter()
        pixels = imagecodecs.tiff_decode(data).size
        times.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({
        'file': path,
        'medianMs': statistics.median(times),
        'minMs': min(times),
        'pixels': pixels,
    }))


if __name__ == '__main__':
    main()
