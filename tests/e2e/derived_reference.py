"""Computes the web app's derived maps at chosen pixels independently of
Tessera: tifffile reads the demo's GeoTIFFs, numpy (float64) applies the
formulas, for the end-to-end tests of derived maps.

    derived_reference.py DEMO KIND --files FILE [FILE ...] --pixel ROW COL
                         [--pixel ROW COL ...] [--t DAYS] [--looks N]
                         [--min LO --max HI]

KIND is gamma, sigma, difference or range; FILE a file name of the demo
(`N35W119_winter_vv_rho.tif`, found in DEMO/data/tiles/N35W119/), in the
order the formula takes them:

    gamma       rho, tau                 (1 - rho) exp(-t / tau) + rho
    sigma       rho, tau                 lambda / (4 pi) / sqrt(2 N_L)
                                         * sqrt((1 - g^2) / g^2), g = gamma(t)
    difference  layer, minus             layer - minus
    range       the seasons' files       max - min over the files present

A file that is not in the demo is "no file": range skips it, the other
kinds have no value. DN 0 is no data, in every kind.

Prints JSON: {"kind", "files", "pixels": [{"row", "col", "dns": {FILE: DN
or null}, "inputs": {FILE: its value as the readout lists it}, "value":
float or null, "text": the value as the readout writes it, "texts": every
text a value within 1e-9 (relative) of it would give, "grey": the gray
colormap's level over [LO, HI] (null: transparent), "greys": every level a
value within 1e-9 of it would give}]}.
"""
import argparse
import json
import math
import os
import re

import numpy
import tifffile

# Sentinel-1's C-band wavelength in millimetres.
WAVELENGTH_MM = numpy.float64(55.465763)


def variable_of(name):
    """The variable of a file name: COH, AMP, rho, tau, rmse, inc, lsmap."""
    m = re.search(r"_(COH)\d\d\.tif$|_(AMP|rho|tau|rmse|inc|lsmap)\.tif$", name)
    if not m:
        raise SystemExit(f"not a file of the data set: {name}")
    return m.group(1) or m.group(2)


def physical(variable, dn):
    """A DN in physical units (float64), None for no data (DN 0)."""
    if dn == 0:
        return None
    dn = numpy.float64(dn)
    if variable == "COH":
        return dn / numpy.float64(100)
    if variable == "AMP":
        return numpy.float64(20) * numpy.log10(dn) - numpy.float64(83)
    if variable in ("rho", "tau", "rmse"):
        return dn / numpy.float64(1000)
    return dn


def gamma(rho, tau, days):
    return (numpy.float64(1) - rho) * numpy.exp(-numpy.float64(days) / tau) + rho


def sigma(g, looks):
    if not g > 0:
        return None
    g2 = g * g
    factor = WAVELENGTH_MM / (numpy.float64(4) * numpy.pi) / numpy.sqrt(numpy.float64(2) * numpy.float64(looks))
    return factor * numpy.sqrt(max(numpy.float64(1) - g2, numpy.float64(0)) / g2)


def value(kind, variables, dns, days, looks):
    """The derived value from the inputs' DNs (None: no file)."""
    samples = [None if dn is None else physical(v, dn) for v, dn in zip(variables, dns)]
    if kind in ("gamma", "sigma"):
        rho, tau = samples
        if rho is None or tau is None:
            return None
        g = gamma(rho, tau, days)
        return g if kind == "gamma" else sigma(g, looks)
    if kind == "difference":
        a, b = samples
        if a is None or b is None:
            return None
        return a - b
    # range: a file with no data there makes no value; absent files are skipped.
    if any(dn == 0 for dn in dns):
        return None
    present = [s for s in samples if s is not None]
    if len(present) < 2:
        return None
    return max(present) - min(present)


def text(kind, variable, v):
    """The value as the readout writes it (Rust's {:.N}, correctly rounded)."""
    if v is None:
        return "no data"
    v = float(v)
    if kind == "gamma":
        return f"{v:.3f}"
    if kind == "sigma":
        return f"{v:.2f} mm"
    decimals = {"COH": 2, "AMP": 2, "inc": 0, "lsmap": 0}.get(variable, 3)
    unit = {"AMP": " dB", "tau": " days", "inc": "°"}.get(variable, "")
    return f"{v:.{decimals}f}{unit}"


def input_text(variable, dn):
    """An input file's value as the readout lists it (None: no file)."""
    if dn is None:
        return "no file"
    v = physical(variable, dn)
    if v is None:
        return "no data"
    decimals = {"COH": 2, "AMP": 2, "inc": 0, "lsmap": 0}.get(variable, 3)
    unit = {"AMP": " dB", "tau": " days", "inc": "°"}.get(variable, "")
    return f"{float(v):.{decimals}f}{unit}"


def position(kind, v, lo, hi):
    """Where v falls in [lo, hi] for the kind's scale, clamped to 0..1."""
    if kind == "sigma":  # logarithmic
        lo = lo if lo > 0 else hi * 1e-3
        t = 0.0 if v <= 0 else (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))
    elif kind == "difference" and lo < 0 < hi:  # diverging about 0
        t = 0.5 * (v - lo) / -lo if v < 0 else 0.5 + 0.5 * v / hi
    else:
        t = (v - lo) / (hi - lo)
    return min(max(t, 0.0), 1.0)


def grey(kind, v, lo, hi):
    """The gray colormap's level: round(t * 255), halves away from 0."""
    x = position(kind, float(v), lo, hi) * 255
    whole = math.floor(x)
    return int(whole + (1 if x - whole >= 0.5 else 0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("demo")
    parser.add_argument("kind", choices=["gamma", "sigma", "difference", "range"])
    parser.add_argument("--files", nargs="+", required=True)
    parser.add_argument("--pixel", nargs=2, type=int, action="append", required=True, metavar=("ROW", "COL"))
    parser.add_argument("--t", type=int, default=12)
    parser.add_argument("--looks", type=int, default=20)
    parser.add_argument("--min", type=float, default=None)
    parser.add_argument("--max", type=float, default=None)
    args = parser.parse_args()

    expected = {"gamma": 2, "sigma": 2, "difference": 2}.get(args.kind)
    if expected is not None and len(args.files) != expected:
        raise SystemExit(f"{args.kind} takes {expected} files, got {len(args.files)}")
    variables = [variable_of(f) for f in args.files]
    images = []
    for name in args.files:
        path = os.path.join(args.demo, "data", "tiles", name.split("_")[0], name)
        images.append(tifffile.imread(path) if os.path.exists(path) else None)

    pixels = []
    for row, col in args.pixel:
        dns = [None if image is None else int(image[row, col]) for image in images]
        v = value(args.kind, variables, dns, args.t, args.looks)
        near = [] if v is None else [v * (1 - 1e-9), v, v * (1 + 1e-9)]
        out = {
            "row": row,
            "col": col,
            "dns": dict(zip(args.files, dns)),
            "inputs": {f: input_text(var, dn) for f, var, dn in zip(args.files, variables, dns)},
            "value": None if v is None else float(v),
            "text": text(args.kind, variables[0], v),
            "texts": sorted({text(args.kind, variables[0], x) for x in near}) or ["no data"],
        }
        if args.min is not None and args.max is not None:
            out["grey"] = None if v is None else grey(args.kind, v, args.min, args.max)
            out["greys"] = sorted({grey(args.kind, x, args.min, args.max) for x in near})
        pixels.append(out)
    print(json.dumps({"kind": args.kind, "files": args.files, "pixels": pixels}))


if __name__ == "__main__":
    main()
