"""What saying where costs: `airspace.places.describe(lat, lon)` (the place in words and the MGRS of a
position) over points spread across Iraq and its borders, and `find_swarms()` over a national picture of
hostile tracks. Both run on the alert path (once per alert, never per report). No database.

    .venv/bin/python bench/places.py [--calls 20000] [--tracks 20000]

The results are in docs/PERFORMANCE.md ("Place names and swarms")."""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from airspace import places  # noqa: E402
from airspace.surveillance.swarms import find_swarms  # noqa: E402


def time_describe(calls):
    rng = np.random.default_rng(1)
    lats = 29.0 + rng.random(calls) * 8.5
    lons = 38.8 + rng.random(calls) * 9.8
    places.describe(33.3, 44.4)  # the towns' index is built on first use
    per_call = []
    for lat, lon in zip(lats, lons, strict=True):
        started = time.perf_counter()
        places.describe(float(lat), float(lon))
        per_call.append(time.perf_counter() - started)
    per_call.sort()
    return statistics.median(per_call), per_call[int(len(per_call) * 0.99)]


def time_swarms(tracks, runs=5):
    rng = np.random.default_rng(3)
    lon = 44.0 + rng.random(tracks) * 2
    lat = 33.0 + rng.random(tracks) * 2
    elapsed = []
    for _ in range(runs):
        started = time.perf_counter()
        find_swarms(lon, lat, radius_m=500, min_size=3)
        elapsed.append(time.perf_counter() - started)
    return statistics.median(elapsed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--tracks", type=int, default=20_000)
    options = parser.parse_args()
    median, p99 = time_describe(options.calls)
    print(f"describe(lat, lon): {options.calls} calls, median {median * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs")
    print(f"find_swarms() over {options.tracks} tracks: median {time_swarms(options.tracks) * 1e3:.0f} ms of 5 runs")


if __name__ == "__main__":
    main()
