"""Where a position is, in words and in MGRS, computed offline: `describe(lat, lon)`.

"3.2 km NE of Hit, Al Anbar" names the town a person would name — the nearest one weighted by size,
so that a point 15 km from Baghdad's centre is described from Baghdad rather than from the village
beside it — with the bearing from the town to the point. Very close to a town or a landmark it is
"in Hit, Al Anbar" or "at the Green Zone, Baghdad". The towns are GeoNames' (towns.json, built by
tools/build_basemap.py). No Django: an alert path calls it when it writes an alert row.
"""

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import mgrs as mgrs_library
import numpy as np

TOWNS_FILE = Path(__file__).with_name("towns.json")
EARTH_RADIUS_M = 6_371_008.8
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
# A town's weight grows with the fourth root of its population: a city of 200,000 people is named
# over a village of 1,000 unless the point is more than about 3.7 times nearer the village.
WEIGHT_EXPONENT = 0.25
MGRS_DIGITS = 5  # 1 m


@dataclass(frozen=True)
class Place:
    """A position in words (`place`) and in MGRS (`mgrs`, 1 m), with the parts the words are made of."""

    place: str
    mgrs: str
    town: str
    region: str
    distance_m: float
    bearing: str

    def as_dict(self) -> dict:
        return {"place": self.place, "mgrs": self.mgrs}


@dataclass(frozen=True)
class _Gazetteer:
    names: tuple[str, ...]
    regions: tuple[str, ...]
    lat: np.ndarray  # radians
    lon: np.ndarray
    unit: np.ndarray  # (n, 3) unit vectors: one matrix product gives the angles to every town
    weight: np.ndarray
    inside_m: np.ndarray  # how close counts as "in" the town
    landmarks: tuple[dict, ...]
    landmark_unit: np.ndarray  # (m, 3)
    landmark_cos_radius: np.ndarray  # a point is "at" a landmark when its dot product reaches this


@cache
def _gazetteer() -> _Gazetteer:
    data = json.loads(TOWNS_FILE.read_text())
    towns, landmarks = data["towns"], data["landmarks"]
    population = np.array([town[3] for town in towns], dtype=float)
    return _Gazetteer(
        names=tuple(town[0] for town in towns),
        regions=tuple(town[4] for town in towns),
        lat=np.radians([town[1] for town in towns]),
        lon=np.radians([town[2] for town in towns]),
        unit=_unit_vectors(np.radians([town[1] for town in towns]), np.radians([town[2] for town in towns])),
        weight=population**WEIGHT_EXPONENT,
        # A town's built-up area, roughly: 1 km for a small town, about 13 km for Baghdad's 7 million.
        inside_m=np.maximum(1000.0, 150.0 * np.sqrt(population / 1000.0)),
        landmarks=tuple(landmarks),
        landmark_unit=_unit_vectors(
            np.radians([landmark["lat"] for landmark in landmarks]),
            np.radians([landmark["lon"] for landmark in landmarks]),
        ),
        landmark_cos_radius=np.cos([landmark["radius_m"] / EARTH_RADIUS_M for landmark in landmarks]),
    )


@cache
def _converter() -> mgrs_library.MGRS:
    return mgrs_library.MGRS()


def to_mgrs(lat: float, lon: float) -> str:
    """MGRS at 1 m, grouped as it is read aloud: "38S MB 44123 88734"."""
    plain = _converter().toMGRS(lat, lon, MGRSPrecision=MGRS_DIGITS)
    if isinstance(plain, bytes):
        plain = plain.decode()
    digits = 2 * MGRS_DIGITS
    zone, square, numbers = plain[: -digits - 2], plain[-digits - 2 : -digits], plain[-digits:]
    return f"{zone} {square} {numbers[:MGRS_DIGITS]} {numbers[MGRS_DIGITS:]}"


def from_mgrs(text: str) -> tuple[float, float]:
    """(lat, lon) of the south-west corner of an MGRS square, spaces allowed; ValueError if not MGRS."""
    plain = "".join(text.split()).upper()
    try:
        return _converter().toLatLon(plain)
    except Exception as error:  # the library raises its own error types for each kind of bad string
        raise ValueError(f"{text!r} is not an MGRS position") from error


def describe(lat: float, lon: float) -> Place:
    """The position in words and in MGRS. ValueError for a latitude or longitude out of range."""
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or math.isnan(lat) or math.isnan(lon):
        raise ValueError(f"no such position: {lat}, {lon}")
    gazetteer = _gazetteer()
    grid = to_mgrs(lat, lon) if -80.0 <= lat <= 84.0 else ""
    phi, lam = math.radians(lat), math.radians(lon)

    point = np.array((math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)))
    at = np.flatnonzero(gazetteer.landmark_unit @ point >= gazetteer.landmark_cos_radius)
    if at.size:
        landmark = gazetteer.landmarks[int(at[0])]
        words = _with_region(f"at {landmark['name']}", landmark["region"], landmark["name"])
        return Place(words, grid, landmark["name"], landmark["region"], 0.0, "")

    angle = np.arccos(np.minimum(gazetteer.unit @ point, 1.0))  # rounding may pass 1 beside a town
    index = int(np.argmin(angle / gazetteer.weight))
    town, region = gazetteer.names[index], gazetteer.regions[index]
    metres = _distance_m(gazetteer.lat[index], gazetteer.lon[index], phi, lam)
    if metres <= gazetteer.inside_m[index]:
        return Place(_with_region(f"in {town}", region, town), grid, town, region, metres, "")
    bearing = COMPASS[round(_bearing_deg(gazetteer.lat[index], gazetteer.lon[index], phi, lam) / 45.0) % 8]
    words = _with_region(f"{_kilometres(metres)} {bearing} of {town}", region, town)
    return Place(words, grid, town, region, metres, bearing)


def _with_region(words: str, region: str, town: str) -> str:
    # "in Baghdad", not "in Baghdad, Baghdad": the governorate is named after its capital.
    return words if region == town else f"{words}, {region}"


def _kilometres(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres < 10_000 else f"{metres / 1000:.0f} km"


def _unit_vectors(phi: np.ndarray, lam: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)


def _distance_m(phi1, lam1, phi2, lam2) -> float:
    """Haversine distance in metres between two points given in radians."""
    a = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin((lam2 - lam1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _bearing_deg(phi1, lam1, phi2, lam2) -> float:
    """Initial great-circle bearing from the first point to the second, degrees clockwise from north."""
    y = math.sin(lam2 - lam1) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(lam2 - lam1)
    return math.degrees(math.atan2(y, x)) % 360.0
