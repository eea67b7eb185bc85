"""Runs the Python the pixel inspector gives ("Copy Python") and checks the
pixel it selects with xarray against the CSV the inspector wrote
("Download CSV"): every file's DN, and the pixel's place.

    check_pixel.py SNIPPET.py PIXEL.csv   prints "N values agree" or fails
"""
import contextlib
import csv
import io
import sys


def main(argv):
    code = open(argv[1]).read()
    scope = {}
    # The snippet prints every variable at the pixel; keep the output quiet.
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, argv[1], "exec"), scope)
    pixel = scope["pixel"]
    checked = 0
    with open(argv[2], newline="") as f:
        for row in csv.DictReader(f):
            if row["dn"] == "":
                continue  # a file that failed: nothing to compare
            variable = pixel[row["variable"]]
            if row["orbit"]:
                value = variable.sel(orbit=int(row["orbit"]), flightdirection=row["flight_direction"])
            else:
                value = variable.sel(season=row["season"], polarization=row["polarization"])
                if row["repeat_interval_days"]:
                    value = value.sel(coherence=int(row["repeat_interval_days"]))
            got = int(value.values)
            want = int(row["dn"])
            if got != want:
                sys.exit(f"{row['variable']} {row}: xarray reads {got}, the CSV says {want}")
            checked += 1
    if checked == 0:
        sys.exit("the CSV has no values")
    print(f"{checked} values agree")


if __name__ == "__main__":
    main(sys.argv)
