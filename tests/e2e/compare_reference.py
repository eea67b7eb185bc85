"""Computes what the web app's comparison views show, independently of
Tessera: tifffile reads the demo's GeoTIFFs, numpy (float64) maps every
screen pixel of a canvas to the data pixel under its centre and applies
the formulas, for the end-to-end tests of RGB composites and of the
2-98 % stretch.

    compare_reference.py rgb DEMO --camera LAT LON ZOOM --size W H
                         --channel VAR:LAYER:MIN:MAX (three times: red,
                         green, blue) [--canvas RGBA_FILE] [--pixel X Y ...]
    compare_reference.py stretch DEMO --camera LAT LON ZOOM --size W H
                         --layer VAR:LAYER [--range LO HI] [--bins 64]
    compare_reference.py zero-patch FILE ROW0 ROW1 COL0 COL1

The screen: W x H device pixels (device scale factor 1, so CSS pixels),
2^-ZOOM degrees per pixel, (LAT, LON) at the canvas centre; screen pixel
(x, y) shows the data pixel containing its centre (x + 1/2, y + 1/2). A
layer is written as in the URL: `winter_vv_12` for COH, `winter_vv` for
AMP, rho, tau and rmse. DN 0 is no data; a file the demo lacks is no data.

rgb prints JSON: {"width", "height", "opaque", "transparent",
"some_no_data" (pixels where one or two channels, not all three, have no
data), and with --canvas "mismatches" and "examples" (the first 10
differing pixels: x, y, got, expected), and per --pixel {"x", "y", "tile",
"row", "col", "dns": {FILE: DN}, "inputs": {FILE: text as the readout lists
it}, "value": the readout's "R .. · G .. · B ..", "rgba": the colour,
"rgbas": every colour values within 1e-9 (relative) of the channels' would
give}}. A channel's byte is round(t * 255), halves away from 0, t =
clamp((value - MIN) / (MAX - MIN), 0, 1); transparent [0, 0, 0, 0] where
any channel has no data.

stretch prints JSON: {"n": finite values under the canvas, "lo", "hi":
the nearest-rank 2 % and 98 % quantiles (sorted values, index
ceil(q n) - 1), "numpy": the same by numpy.quantile(method=
"inverted_cdf"), and for the range given (else [lo, hi]) "range",
"counts" (BINS equal bins, bin i = [lo + i w, lo + (i + 1) w), hi in the
last), "below", "above"}.

zero-patch rewrites FILE (after unlinking it: a demo copy's files are
hard links to the demo's) with DN 0 over rows ROW0..ROW1 and columns
COL0..COL1 (end excluded), keeping its dtype, strips, compression and
GeoTIFF tags.
"""
import argparse
import json
import math
import os

import numpy
import tifffile

TILE_PIXELS = 1200
NORTH_EDGE = 82
WEST_EDGE = -180
LATITUDE_TILES = 82 + 79
LONGITUDE_TILES = 360


def file_suffix(spec):
    """`VAR:layer` as the end of a tile's file name (`winter_vv_COH12`)."""
    variable, layer = spec.split(":")[:2]
    parts = layer.split("_")
    if variable == "COH":
        season, pol, days = parts
        return f"{season}_{pol}_COH{int(days):02d}"
    if variable in ("AMP", "rho", "tau", "rmse"):
        season, pol = parts
        return f"{season}_{pol}_{variable}"
    raise SystemExit(f"not a stored layer of COH, AMP, rho, tau or rmse: {spec}")


def physical(variable, dn):
    """DNs (an array) in physical units, float64; NaN for no data."""
    dn = numpy.asarray(dn, dtype=numpy.float64)
    with numpy.errstate(divide="ignore"):
        if variable == "COH":
            v = dn / numpy.float64(100)
        elif variable == "AMP":
            v = numpy.float64(20) * numpy.log10(dn) - numpy.float64(83)
        else:
            v = dn / numpy.float64(1000)
    return numpy.where(dn == 0, numpy.nan, v)


def text(variable, v):
    """A value as the readout writes it (Rust's {:.2} / {:.3}, correctly
    rounded, as Python's)."""
    if v is None or math.isnan(v):
        return "no data"
    if variable == "COH":
        return f"{v:.2f}"
    if variable == "AMP":
        return f"{v:.2f} dB"
    if variable == "tau":
        return f"{v:.3f} days"
    return f"{v:.3f}"


def axis_pixel(degrees, tiles):
    """The grid pixel along an axis (an array of degrees from the grid's
    edge), -1 outside the grid: as the app's `axis_pixel`."""
    tile = numpy.floor(degrees)
    inside = numpy.isfinite(tile) & (tile >= 0) & (tile < tiles)
    first = numpy.where(inside, tile, 0) * TILE_PIXELS
    pixel = numpy.floor(degrees * TILE_PIXELS)
    pixel = numpy.minimum(numpy.maximum(pixel, first), first + TILE_PIXELS - 1)
    return numpy.where(inside, pixel, -1).astype(numpy.int64)


def screen_grid(camera, size):
    """Global row of each screen row and global column of each screen
    column (-1 outside the grid)."""
    lat, lon, zoom = camera
    width, height = size
    dpp = numpy.float64(2.0) ** -numpy.float64(zoom) / numpy.float64(1)
    x = numpy.arange(width, dtype=numpy.float64) + numpy.float64(0.5)
    y = numpy.arange(height, dtype=numpy.float64) + numpy.float64(0.5)
    lons = numpy.float64(lon) + (x - numpy.float64(width) / 2) * dpp
    lats = numpy.float64(lat) - (y - numpy.float64(height) / 2) * dpp
    columns = axis_pixel(lons - numpy.float64(WEST_EDGE), LONGITUDE_TILES)
    rows = axis_pixel(numpy.float64(NORTH_EDGE) - lats, LATITUDE_TILES)
    return rows, columns


def tile_name(tile_row, tile_col):
    north = NORTH_EDGE - tile_row
    west = WEST_EDGE + tile_col
    return f"{'N' if north >= 0 else 'S'}{abs(north):02d}{'E' if west >= 0 else 'W'}{abs(west):03d}"


class Demo:
    """The demo's files, each read once."""

    def __init__(self, root):
        self.root = root
        self.cache = {}

    def path(self, tile, suffix):
        return os.path.join(self.root, "data", "tiles", tile, f"{tile}_{suffix}.tif")

    def image(self, tile, suffix):
        key = (tile, suffix)
        if key not in self.cache:
            path = self.path(tile, suffix)
            self.cache[key] = tifffile.imread(path) if os.path.exists(path) else None
        return self.cache[key]

    def screen_dns(self, spec, rows, columns):
        """The DN under every screen pixel (height x width, uint16; 0 no
        data, no file, or outside the grid)."""
        suffix = file_suffix(spec)
        out = numpy.zeros((len(rows), len(columns)), dtype=numpy.uint16)
        row_tiles = numpy.where(rows >= 0, rows // TILE_PIXELS, -1)
        col_tiles = numpy.where(columns >= 0, columns // TILE_PIXELS, -1)
        for tr in numpy.unique(row_tiles[row_tiles >= 0]):
            ys = numpy.nonzero(row_tiles == tr)[0]
            for tc in numpy.unique(col_tiles[col_tiles >= 0]):
                xs = numpy.nonzero(col_tiles == tc)[0]
                image = self.image(tile_name(int(tr), int(tc)), suffix)
                if image is None:
                    continue
                out[numpy.ix_(ys, xs)] = image[numpy.ix_(rows[ys] % TILE_PIXELS, columns[xs] % TILE_PIXELS)]
        return out


def round_half_away(x):
    whole = numpy.floor(x)
    return (whole + (x - whole >= 0.5)).astype(numpy.int64)


def channel_bytes(variable, dns, lo, hi):
    """The channel's byte for DNs (array), and the bytes values within
    1e-9 (relative) would give: (byte, low alternative, high alternative);
    -1 for no data."""
    v = physical(variable, dns)
    out = []
    for factor in (1.0, 1 - 1e-9, 1 + 1e-9):
        t = (v * factor - lo) / (hi - lo)
        t = numpy.clip(numpy.nan_to_num(t, nan=0.0), 0.0, 1.0)
        out.append(numpy.where(numpy.isnan(v), -1, round_half_away(t * 255)))
    return out


def rgb(args):
    demo = Demo(args.demo)
    rows, columns = screen_grid(args.camera, args.size)
    channels = []
    for spec in args.channel:
        variable, layer, lo, hi = spec.split(":")
        channels.append((variable, f"{variable}:{layer}", float(lo), float(hi)))
    if len(channels) != 3:
        raise SystemExit("give --channel three times: red, green, blue")
    dns = [demo.screen_dns(spec, rows, columns) for _, spec, _, _ in channels]
    no_data = [d == 0 for d in dns]
    any_no_data = no_data[0] | no_data[1] | no_data[2]
    all_no_data = no_data[0] & no_data[1] & no_data[2]
    bytes_ = [channel_bytes(v, d, lo, hi) for (v, _, lo, hi), d in zip(channels, dns)]
    height, width = dns[0].shape
    out = {
        "width": width,
        "height": height,
        "opaque": int((~any_no_data).sum()),
        "transparent": int(any_no_data.sum()),
        "some_no_data": int((any_no_data & ~all_no_data).sum()),
    }
    if args.canvas:
        got = numpy.fromfile(args.canvas, dtype=numpy.uint8)
        if got.size != width * height * 4:
            raise SystemExit(f"the canvas has {got.size} bytes, not {width} x {height} x 4")
        got = got.reshape(height, width, 4).astype(numpy.int64)
        bad = numpy.zeros((height, width), dtype=bool)
        # Transparent where any channel has no data.
        bad |= any_no_data & (got != 0).any(axis=2)
        bad |= ~any_no_data & (got[:, :, 3] != 255)
        for i, (exact, low, high) in enumerate(bytes_):
            g = got[:, :, i]
            bad |= ~any_no_data & (g != exact) & (g != low) & (g != high)
        ys, xs = numpy.nonzero(bad)
        out["mismatches"] = int(bad.sum())
        out["examples"] = [
            {
                "x": int(x),
                "y": int(y),
                "got": got[y, x].tolist(),
                "expected": [0, 0, 0, 0]
                if any_no_data[y, x]
                else [int(b[0][y, x]) for b in bytes_] + [255],
                "dns": [int(d[y, x]) for d in dns],
            }
            for y, x in list(zip(ys, xs))[:10]
        ]
    pixels = []
    for x, y in args.pixel or []:
        r, c = int(rows[y]), int(columns[x])
        tile = tile_name(r // TILE_PIXELS, c // TILE_PIXELS) if r >= 0 and c >= 0 else None
        files = [f"{tile}_{file_suffix(spec)}.tif" for _, spec, _, _ in channels]
        values = [physical(v, d[y, x]).item() for (v, _, _, _), d in zip(channels, dns)]
        texts = [text(v, value) for (v, _, _, _), value in zip(channels, values)]
        nodata = bool(any_no_data[y, x])
        pixels.append(
            {
                "x": x,
                "y": y,
                "tile": tile,
                "row": r % TILE_PIXELS,
                "col": c % TILE_PIXELS,
                "dns": {f: int(d[y, x]) for f, d in zip(files, dns)},
                "inputs": dict(zip(files, texts)),
                "value": " · ".join(f"{n} {t}" for n, t in zip("RGB", texts)),
                "rgba": [0, 0, 0, 0] if nodata else [int(b[0][y, x]) for b in bytes_] + [255],
                "rgbas": [[0, 0, 0, 0]]
                if nodata
                else sorted(
                    {
                        tuple(int(b[k][y, x]) for b in bytes_) + (255,)
                        for k in range(3)
                    }
                ),
            }
        )
    out["pixels"] = pixels
    print(json.dumps(out))


def nearest_rank(sorted_values, q):
    n = len(sorted_values)
    k = min(max(math.ceil(q * n) - 1, 0), n - 1)
    return float(sorted_values[k])


def stretch(args):
    demo = Demo(args.demo)
    rows, columns = screen_grid(args.camera, args.size)
    variable = args.layer.split(":")[0]
    values = physical(variable, demo.screen_dns(args.layer, rows, columns)).ravel()
    finite = numpy.sort(values[numpy.isfinite(values)])
    n = len(finite)
    out = {"n": int(n), "width": int(len(columns)), "height": int(len(rows))}
    if n:
        out["lo"] = nearest_rank(finite, 0.02)
        out["hi"] = nearest_rank(finite, 0.98)
        out["numpy"] = [float(x) for x in numpy.quantile(finite, [0.02, 0.98], method="inverted_cdf")]
    lo, hi = args.range if args.range else (out.get("lo"), out.get("hi"))
    if lo is not None and hi is not None and lo < hi:
        bins = args.bins
        width = (hi - lo) / bins
        edges = numpy.array([lo + i * width for i in range(bins)], dtype=numpy.float64)
        inside = finite[(finite >= lo) & (finite <= hi)]
        # The last bin whose lower edge is <= v (hi itself in the last).
        which = numpy.searchsorted(edges, inside, side="right") - 1
        out["range"] = [lo, hi]
        out["counts"] = numpy.bincount(numpy.clip(which, 0, bins - 1), minlength=bins).tolist()
        out["below"] = int((finite < lo).sum())
        out["above"] = int((finite > hi).sum())
    print(json.dumps(out))


def zero_patch(args):
    with tifffile.TiffFile(args.file) as tif:
        page = tif.pages[0]
        data = page.asarray()
        rows_per_strip = page.rowsperstrip
        compression = page.compression
        predictor = page.predictor
        keep = (33550, 33922, 34735, 34736, 34737, 42113)
        extratags = []
        for code in keep:
            tag = page.tags.get(code)
            if tag is not None:
                extratags.append((code, tag.dtype, tag.count, tag.value, True))
    data = data.copy()
    data[args.row0 : args.row1, args.col0 : args.col1] = 0
    os.unlink(args.file)
    tifffile.imwrite(
        args.file,
        data,
        photometric="minisblack",
        compression=compression,
        predictor=predictor if predictor != 1 else None,
        rowsperstrip=rows_per_strip,
        extratags=extratags,
        metadata=None,
    )
    print(json.dumps({"file": args.file, "zeros": int((data == 0).sum())}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("rgb", "stretch"):
        p = sub.add_parser(name)
        p.add_argument("demo")
        p.add_argument("--camera", nargs=3, type=float, required=True, metavar=("LAT", "LON", "ZOOM"))
        p.add_argument("--size", nargs=2, type=int, required=True, metavar=("W", "H"))
        if name == "rgb":
            p.add_argument("--channel", action="append", required=True)
            p.add_argument("--canvas")
            p.add_argument("--pixel", nargs=2, type=int, action="append", metavar=("X", "Y"))
        else:
            p.add_argument("--layer", required=True)
            p.add_argument("--range", nargs=2, type=float)
            p.add_argument("--bins", type=int, default=64)
    p = sub.add_parser("zero-patch")
    p.add_argument("file")
    for name in ("row0", "row1", "col0", "col1"):
        p.add_argument(name, type=int)
    args = parser.parse_args()
    {"rgb": rgb, "stretch": stretch, "zero-patch": zero_patch}[args.command](args)


if __name__ == "__main__":
    main()
