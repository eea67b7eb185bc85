"""Open the demo's references exactly as the Earthbigdata seed opens the real
ones, and check what xarray reads against the generator's own formula.

Usage: check_demo.py REFS.json EXPECTED.json

EXPECTED.json (written by crates/tessera-cli/tests/demo_cli.rs):
  pixels: [{variable, labels, lat, lon, value, why}]
          the value the generator's formula gives at a pixel centre
  decay:  [{lat, lon, season, polarization}]
          pixels where COH must follow (1 - rho) exp(-t/tau) + rho from the
          rho and tau files, within the noise the rmse file states
  socal:  {latitude: [36, 32.5], longitude: [-121, -115],
           loc: ['winter', 'vv', 12], shape, samples: [{i, j, value}],
           absent_tiles: [[i0, j0]]}
          the seed's selection: socal['COH'].loc['winter', 'vv', 12]

Exits 1 with every mismatch listed, 0 if everything matches.
"""

import json
import sys

import numpy

from interop_common import Problems, open_like_the_seed

problems = Problems('MISMATCH')
check = problems.check
TILE = 1200


def at(ds, variable, labels, lat, lon):
    """The stored value of a variable at the pixel nearest (lat, lon)."""
    da = ds[variable].sel(**labels)
    return int(da.sel(latitude=lat, longitude=lon, method='nearest').values)


def check_pixels(ds, pixels):
    for p in pixels:
        got = at(ds, p['variable'], p['labels'], p['lat'], p['lon'])
        check(
            got == p['value'],
            f"{p['variable']} {p['labels']} at ({p['lat']}, {p['lon']}) "
            f"[{p['why']}]: xarray reads {got}, the generator's formula gives {p['value']}",
        )


def check_decay(ds, points):
    """COH against the decay model of the rho/tau/rmse files at the same pixel."""
    for p in points:
        labels = {'season': p['season'], 'polarization': p['polarization']}
        where = f"({p['lat']}, {p['lon']}) {p['season']} {p['polarization']}"
        rho = at(ds, 'rho', labels, p['lat'], p['lon']) / 1000
        tau = at(ds, 'tau', labels, p['lat'], p['lon']) / 1000
        rmse = at(ds, 'rmse', labels, p['lat'], p['lon']) / 1000
        if tau == 0:
            problems.add(f'{where}: no tau (sea?)')
            continue
        for t in [6, 12, 18, 24, 36, 48]:
            coh = at(ds, 'COH', {**labels, 'coherence': t}, p['lat'], p['lon']) / 100
            model = (1 - rho) * numpy.exp(-t / tau) + rho
            # The generator's noise is bounded by sqrt(6) rmse; rounding to
            # the DN adds half a step and the 0.01..1 clamp only pulls closer.
            bound = 6**0.5 * rmse + 0.0051
            check(
                abs(coh - model) <= bound,
                f'{where} COH{t:02d} = {coh:.2f}, decay model {model:.3f} '
                f'(rho {rho}, tau {tau}, rmse {rmse}): off by more than {bound:.3f}',
            )


def check_socal(ds, socal):
    lat0, lat1 = socal['latitude']
    lon0, lon1 = socal['longitude']
    # The seed's own lines.
    selection = ds.sel(latitude=slice(lat0, lat1), longitude=slice(lon0, lon1))
    coh = selection['COH'].loc[tuple(socal['loc'])]
    values = coh.values
    check(
        list(values.shape) == socal['shape'],
        f"socal COH{socal['loc']} shape {values.shape}, expected {socal['shape']}",
    )
    for s in socal['samples']:
        got = int(values[s['i'], s['j']])
        check(
            got == s['value'],
            f"socal COH{socal['loc']}[{s['i']}, {s['j']}] = {got}, "
            f"the generator's formula gives {s['value']}",
        )
    for i0, j0 in socal['absent_tiles']:
        block = values[i0 : i0 + TILE, j0 : j0 + TILE]
        check(
            not block.any(),
            f'socal: the absent (sea) tile at [{i0}, {j0}] reads non-zero values',
        )
    land = numpy.count_nonzero(values)
    print(
        f"socal COH{socal['loc']}: shape {values.shape}, {land} land pixels, "
        f'values {values[values > 0].min()}..{values.max()}, '
        f'[100, 100] = {values[100, 100]}'
    )


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    refs, expected_path = sys.argv[1:]
    with open(expected_path) as fh:
        expected = json.load(fh)
    ds = open_like_the_seed(refs)
    print(ds)
    check_pixels(ds, expected['pixels'])
    check_decay(ds, expected['decay'])
    check_socal(ds, expected['socal'])
    problems.finish(
        'mismatches',
        f"{len(expected['pixels'])} pixels, {len(expected['decay'])} decay checks, "
        f"{len(expected['socal']['samples'])} socal samples",
    )


if __name__ == '__main__':
    main()
