"""Zone data in the formats others speak: EUROCAE ED-269 (UASZoneList JSON) and ED-318 (its GeoJSON
successor), plain GeoJSON and KML (fastkml), read into zone drafts and written from zones and from
permits in effect. The mapping between ED-269's fields and the zone is in docs/ZONES.md.

Reading never stores anything: a file becomes a list of `ZoneDraft`, each validated with the one
geometry parser, or a `ZoneFileError` that names the feature and the field."""

import json
import math
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime

from airspace.geometry import GeometryError, parse_area, validate_altitude_band

from .schedule import DAYS, ScheduleError, normalize

# An upper limit left open (ED-269 `upperLimit: null`, ED-318's 99999) is stored as this ceiling.
UNLIMITED_M = 99_999.0
FEET = 0.3048
# ED-269 writes "AUTHORISATION", ED-318 "AUTHORIZATION".
KIND_OF_RESTRICTION = {
    "PROHIBITED": "prohibited",
    "REQ_AUTHORISATION": "restricted",
    "REQ_AUTHORIZATION": "restricted",
    "CONDITIONAL": "restricted",
}
RESTRICTION_OF_KIND = {"prohibited": "PROHIBITED", "restricted": "REQ_AUTHORISATION"}
ABOVE_GROUND = ("AGL", "SFC")
ABOVE_SEA = ("AMSL", "MSL", "WGS84", "W84", "STD")
MAX_FEATURES = 5_000
COUNTRY = "IRQ"  # ED-269 `country` of exported zones (ISO 3166-1 alpha-3)

FORMATS = ("ed269", "geojson", "kml")
FORMAT_NAMES = {"ed269": "ED-269", "ed318": "ED-318", "geojson": "GeoJSON", "kml": "KML"}
CONTENT_TYPES = {
    "ed269": "application/json",
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
}
EXTENSIONS = {"ed269": "ed269.json", "geojson": "geojson", "kml": "kml"}


class ZoneFileError(ValueError):
    """A file that cannot be imported: `feature` (its number and name) and `field` say where."""

    def __init__(self, message, *, feature=None, field=None):
        self.feature, self.field = feature, field
        where = " ".join(part for part in (feature and f"Feature {feature}", field and f"field {field}") if part)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass
class ZoneDraft:
    """A zone as a file describes it, validated; `feature` says where it came from."""

    feature: str
    name: str
    kind: str
    area: dict
    radius_m: float | None
    boundary: dict
    min_altitude_m: float
    max_altitude_m: float
    identifier: str = ""
    description: str = ""
    schedule: list = field(default_factory=list)

    @property
    def key(self):
        """What matches it to a zone already drawn: its identifier, else its name."""
        return ("identifier", self.identifier) if self.identifier else ("name", self.name)

    def fields(self):
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "area": self.area,
            "radius_m": self.radius_m,
            "boundary": self.boundary,
            "min_altitude_m": self.min_altitude_m,
            "max_altitude_m": self.max_altitude_m,
            "identifier": self.identifier,
            "schedule": self.schedule,
        }


# --- reading --------------------------------------------------------------------------------------


def read_zone_file(content: bytes | str, *, max_vertices=None) -> tuple[str, list[ZoneDraft]]:
    """The file's format (ed269, ed318, geojson, kml) and its zones; ZoneFileError if any is bad."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ZoneFileError(
                "The file is not UTF-8 text: give an ED-269/ED-318 JSON, GeoJSON or KML file."
            ) from None
    text = content.strip()
    if text.startswith("<"):
        return "kml", _read_kml(text, max_vertices)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ZoneFileError(f"The file is neither JSON nor KML ({exc}).") from None
    if not isinstance(document, dict):
        raise ZoneFileError("The file must be a JSON object: an ED-269 UASZoneList or a GeoJSON FeatureCollection.")
    if "UASZoneList" in document:
        return "ed269", _read_ed269(document, max_vertices)
    if document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise ZoneFileError("must be a list of features", field="features")
        if any(_is_ed318(feature) for feature in features):
            return "ed318", _read_ed318(features, max_vertices)
        return "geojson", _read_geojson(features, max_vertices)
    raise ZoneFileError("The file is neither an ED-269 UASZoneList nor a GeoJSON FeatureCollection.")


def _check_count(items):
    if len(items) > MAX_FEATURES:
        raise ZoneFileError(f"The file has {len(items):,} zones; at most {MAX_FEATURES:,} are imported at once.")


def _label(number, name):
    return f'{number} ("{name}")' if name else str(number)


def _text(value, feature, field_name, *, required=True, max_length=200):
    if isinstance(value, list):  # ED-318's texts in several languages: English first, else the first
        texts = [item for item in value if isinstance(item, dict) and isinstance(item.get("text"), str)]
        english = [item for item in texts if str(item.get("lang", "")).lower().startswith("en")]
        value = (english or texts or [{"text": None}])[0]["text"]
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ZoneFileError("is missing", feature=feature, field=field_name)
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ZoneFileError("must be text", feature=feature, field=field_name)
    value = str(value).strip()
    if len(value) > max_length:
        raise ZoneFileError(f"is longer than {max_length} characters", feature=feature, field=field_name)
    return value


def _number(value, feature, field_name):
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ZoneFileError(f"must be a number, not {value!r}", feature=feature, field=field_name) from None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ZoneFileError(f"must be a number, not {value!r}", feature=feature, field=field_name)
    return float(value)


def _band(feature, *, lower, upper, uom, lower_reference, upper_reference, names):
    """The altitude band in metres above ground. Limits above sea level cannot be turned into heights
    above ground without the terrain: they are taken conservatively (the zone reaches the ground,
    and its ceiling is read as a height), which never makes a zone smaller than published."""
    uom_name, lower_name, upper_name, lower_ref_name, upper_ref_name = names
    unit = str(uom or "M").upper()
    if unit not in ("M", "FT"):
        raise ZoneFileError(f"must be M or FT, not {uom!r}", feature=feature, field=uom_name)
    scale = FEET if unit == "FT" else 1.0
    notes = []
    for value, name in ((lower_reference, lower_ref_name), (upper_reference, upper_ref_name)):
        if value not in (None, "") and str(value).upper() not in ABOVE_GROUND + ABOVE_SEA:
            raise ZoneFileError(f"must be AGL or AMSL, not {value!r}", feature=feature, field=name)
    minimum = 0.0 if lower in (None, "") else _number(lower, feature, lower_name) * scale
    if minimum and str(lower_reference or "AGL").upper() in ABOVE_SEA:
        minimum = 0.0
        notes.append("its lower limit is above mean sea level: taken from the ground up")
    maximum = UNLIMITED_M if upper in (None, "") else _number(upper, feature, upper_name) * scale
    if maximum < UNLIMITED_M and str(upper_reference or "AGL").upper() in ABOVE_SEA:
        notes.append("its upper limit is above mean sea level: read as a height above ground")
    maximum = min(maximum, UNLIMITED_M)
    try:
        validate_altitude_band(round(minimum, 1), round(maximum, 1))
    except GeometryError as exc:
        raise ZoneFileError(
            str(exc), feature=feature, field=upper_name if exc.field == "max_altitude_m" else lower_name
        ) from None
    return round(minimum, 1), round(maximum, 1), notes


def _area(geometry, radius_m, feature, field_name, max_vertices):
    try:
        area = parse_area(geometry, radius_m, max_vertices=max_vertices)
    except GeometryError as exc:
        raise ZoneFileError(str(exc), feature=feature, field=field_name) from None
    return area


def _schedule(periods, feature, field_name):
    try:
        return normalize(periods)
    except ScheduleError as exc:
        raise ZoneFileError(str(exc), feature=feature, field=field_name) from None


def _clock(value):
    return str(value).rstrip("Zz")[:5] if value else None


def _days(values, feature, field_name):
    if values is not None and not isinstance(values, list):
        raise ZoneFileError("must be a list of days", feature=feature, field=field_name)
    days = [str(day).upper()[:3] for day in (values or [])]
    if "ANY" in days:
        return []
    bad = [day for day in days if day not in DAYS]
    if bad:
        raise ZoneFileError(
            f"days must be among {', '.join(DAYS)} or ANY, not {bad[0]!r}", feature=feature, field=field_name
        )
    return days


def _periods(applicability, feature, field_name, *, daily_key):
    """ED-269 applicability / ED-318 limitedApplicability -> the zone's schedule periods."""
    if applicability in (None, []):
        return []
    if not isinstance(applicability, list):
        raise ZoneFileError("must be a list", feature=feature, field=field_name)
    periods = []
    for item in applicability:
        if not isinstance(item, dict):
            raise ZoneFileError("must be a list of objects", feature=feature, field=field_name)
        if str(item.get("permanent", "NO")).upper() == "YES":
            return []  # in force at all times
        starts_at, ends_at = item.get("startDateTime"), item.get("endDateTime")
        dailies = item.get(daily_key) or []
        if isinstance(dailies, dict):
            dailies = [dailies]
        dailies = [
            daily for daily in dailies if isinstance(daily, dict) and (daily.get("startTime") or daily.get("endTime"))
        ]
        if not dailies:
            periods.append({"starts_at": starts_at, "ends_at": ends_at, "daily": None})
        for daily in dailies:
            days = _days(daily.get("day"), feature, f"{field_name}.{daily_key}.day")
            periods.append(
                {
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "daily": {
                        "start": _clock(daily.get("startTime")) or "00:00",
                        "end": _clock(daily.get("endTime")) or "23:59",
                        "days": days,
                    },
                }
            )
    return periods


def _describe(*parts):
    return "\n".join(part for part in parts if part)[:2000]


def _read_ed269(document, max_vertices):
    zones = document["UASZoneList"]
    if not isinstance(zones, list):
        raise ZoneFileError("must be a list of zones", field="UASZoneList")
    _check_count(zones)
    drafts = []
    for number, zone in enumerate(zones, start=1):
        if not isinstance(zone, dict):
            raise ZoneFileError("must be an object", feature=str(number))
        feature = _label(number, zone.get("name") if isinstance(zone.get("name"), str) else None)
        # Required by ED-269; a zone drawn here and exported has none, and is matched by its name.
        identifier = _text(zone.get("identifier"), feature, "identifier", required=False, max_length=64)
        name = _text(zone.get("name"), feature, "name")
        restriction = str(zone.get("restriction") or "").upper()
        if restriction == "NO_RESTRICTION":
            continue  # a zone that restricts nothing is not a zone here
        if restriction not in KIND_OF_RESTRICTION:
            raise ZoneFileError(
                f"must be PROHIBITED, REQ_AUTHORISATION or CONDITIONAL, not {zone.get('restriction')!r}",
                feature=feature,
                field="restriction",
            )
        schedule = _schedule(
            _periods(zone.get("applicability"), feature, "applicability", daily_key="dailyPeriod"),
            feature,
            "applicability",
        )
        geometries = zone.get("geometry")
        if not isinstance(geometries, list) or not geometries:
            raise ZoneFileError("must be a list of at least one volume", feature=feature, field="geometry")
        for part, volume in enumerate(geometries, start=1):
            field_prefix = f"geometry[{part - 1}]"
            if not isinstance(volume, dict):
                raise ZoneFileError("must be an object", feature=feature, field=field_prefix)
            unit = str(volume.get("uomDimensions") or "M").upper()
            projection = volume.get("horizontalProjection")
            if not isinstance(projection, dict):
                raise ZoneFileError("is missing", feature=feature, field=f"{field_prefix}.horizontalProjection")
            if projection.get("type") == "Circle":
                radius = _number(projection.get("radius"), feature, f"{field_prefix}.horizontalProjection.radius")
                shape = {"type": "Point", "coordinates": projection.get("center")}
                area = _area(
                    shape,
                    radius * (FEET if unit == "FT" else 1.0),
                    feature,
                    f"{field_prefix}.horizontalProjection",
                    max_vertices,
                )
            else:
                area = _area(projection, None, feature, f"{field_prefix}.horizontalProjection", max_vertices)
            minimum, maximum, notes = _band(
                feature,
                lower=volume.get("lowerLimit"),
                upper=volume.get("upperLimit"),
                uom=volume.get("uomDimensions"),
                lower_reference=volume.get("lowerVerticalReference"),
                upper_reference=volume.get("upperVerticalReference"),
                names=tuple(
                    f"{field_prefix}.{name}"
                    for name in (
                        "uomDimensions",
                        "lowerLimit",
                        "upperLimit",
                        "lowerVerticalReference",
                        "upperVerticalReference",
                    )
                ),
            )
            several = len(geometries) > 1
            drafts.append(
                ZoneDraft(
                    feature=feature,
                    identifier=f"{identifier}#{part}" if several and identifier else identifier,
                    name=f"{name} ({part})" if several else name,
                    kind=KIND_OF_RESTRICTION[restriction],
                    description=_describe(
                        _text(zone.get("message"), feature, "message", required=False, max_length=2000),
                        _text(
                            zone.get("restrictionConditions"),
                            feature,
                            "restrictionConditions",
                            required=False,
                            max_length=2000,
                        ),
                        "Conditional (ED-269 CONDITIONAL): flights need approval."
                        if restriction == "CONDITIONAL"
                        else "",
                        *(f"Imported: {note}." for note in notes),
                    ),
                    area=area.geojson,
                    radius_m=area.radius_m,
                    boundary=area.boundary_geojson,
                    min_altitude_m=minimum,
                    max_altitude_m=maximum,
                    schedule=schedule,
                )
            )
    return drafts


def _is_ed318(feature):
    properties = feature.get("properties") if isinstance(feature, dict) else None
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    return isinstance(properties, dict) and (
        "variant" in properties
        or str(properties.get("type", "")).upper() in KIND_OF_RESTRICTION
        or (isinstance(geometry, dict) and "layer" in geometry)
    )


def _read_ed318(features, max_vertices):
    _check_count(features)
    drafts = []
    for number, item in enumerate(features, start=1):
        properties = item.get("properties") if isinstance(item, dict) else None
        if not isinstance(properties, dict):
            raise ZoneFileError("must be an object", feature=str(number), field="properties")
        feature = _label(number, _text(properties.get("name"), str(number), "properties.name", required=False))
        geometry = item.get("geometry")
        if not isinstance(geometry, dict):
            raise ZoneFileError("must be a GeoJSON geometry", feature=feature, field="geometry")
        geometry = dict(geometry)
        restriction = str(properties.get("type") or "").upper()
        if restriction == "NO_RESTRICTION":
            continue
        if restriction not in KIND_OF_RESTRICTION:
            raise ZoneFileError(
                f"must be PROHIBITED, REQ_AUTHORIZATION or CONDITIONAL, not {properties.get('type')!r}",
                feature=feature,
                field="properties.type",
            )
        layer = geometry.pop("layer", None) or {}
        extent = geometry.pop("extent", None) or {}
        if not isinstance(layer, dict):
            raise ZoneFileError("must be an object", feature=feature, field="geometry.layer")
        if not isinstance(extent, dict):
            raise ZoneFileError("must be an object", feature=feature, field="geometry.extent")
        radius = None
        if geometry.get("type") == "Point":
            radius = _number(extent.get("radius"), feature, "geometry.extent.radius")
            if str(layer.get("uom", "m")).upper() == "FT":
                radius *= FEET
        area = _area(geometry, radius, feature, "geometry", max_vertices)
        minimum, maximum, notes = _band(
            feature,
            lower=layer.get("lower"),
            upper=layer.get("upper"),
            uom=layer.get("uom"),
            lower_reference=layer.get("lowerReference"),
            upper_reference=layer.get("upperReference"),
            names=(
                "geometry.layer.uom",
                "geometry.layer.lower",
                "geometry.layer.upper",
                "geometry.layer.lowerReference",
                "geometry.layer.upperReference",
            ),
        )
        schedule = _schedule(
            _periods(
                properties.get("limitedApplicability"), feature, "properties.limitedApplicability", daily_key="schedule"
            ),
            feature,
            "properties.limitedApplicability",
        )
        drafts.append(
            ZoneDraft(
                feature=feature,
                identifier=_text(properties.get("identifier"), feature, "properties.identifier", max_length=64),
                name=_text(properties.get("name"), feature, "properties.name"),
                kind=KIND_OF_RESTRICTION[restriction],
                description=_describe(
                    _text(properties.get("message"), feature, "properties.message", required=False, max_length=2000),
                    _text(
                        properties.get("restrictionConditions"),
                        feature,
                        "properties.restrictionConditions",
                        required=False,
                        max_length=2000,
                    ),
                    *(f"Imported: {note}." for note in notes),
                ),
                area=area.geojson,
                radius_m=area.radius_m,
                boundary=area.boundary_geojson,
                min_altitude_m=minimum,
                max_altitude_m=maximum,
                schedule=schedule,
            )
        )
    return drafts


def _kind(value, feature, field_name):
    kind = str(value or "").lower()
    if kind not in ("prohibited", "restricted"):
        raise ZoneFileError(f"must be prohibited or restricted, not {value!r}", feature=feature, field=field_name)
    return kind


def _plain_draft(feature, properties, geometry, max_vertices, *, field_prefix):
    """A zone of this service's own GeoJSON or KML: the zone's fields as properties."""
    radius = properties.get("radius_m")
    radius = None if radius in (None, "") else _number(radius, feature, f"{field_prefix}radius_m")
    area = _area(geometry, radius, feature, "geometry", max_vertices)
    minimum = _number(properties.get("min_altitude_m", 0) or 0, feature, f"{field_prefix}min_altitude_m")
    if properties.get("max_altitude_m") in (None, ""):
        raise ZoneFileError("is missing", feature=feature, field=f"{field_prefix}max_altitude_m")
    maximum = _number(properties.get("max_altitude_m"), feature, f"{field_prefix}max_altitude_m")
    try:
        validate_altitude_band(minimum, maximum)
    except GeometryError as exc:
        raise ZoneFileError(str(exc), feature=feature, field=f"{field_prefix}{exc.field}") from None
    schedule = properties.get("schedule") or []
    if isinstance(schedule, str):
        try:
            schedule = json.loads(schedule)
        except ValueError:
            raise ZoneFileError(
                "must be a JSON list of periods", feature=feature, field=f"{field_prefix}schedule"
            ) from None
    return ZoneDraft(
        feature=feature,
        identifier=_text(
            properties.get("identifier"), feature, f"{field_prefix}identifier", required=False, max_length=64
        ),
        name=_text(properties.get("name"), feature, f"{field_prefix}name"),
        kind=_kind(properties.get("kind"), feature, f"{field_prefix}kind"),
        description=_text(
            properties.get("description"), feature, f"{field_prefix}description", required=False, max_length=2000
        ),
        area=area.geojson,
        radius_m=area.radius_m,
        boundary=area.boundary_geojson,
        min_altitude_m=minimum,
        max_altitude_m=maximum,
        schedule=_schedule(schedule, feature, f"{field_prefix}schedule"),
    )


def _read_geojson(features, max_vertices):
    _check_count(features)
    drafts = []
    for number, item in enumerate(features, start=1):
        if not isinstance(item, dict) or item.get("type") != "Feature":
            raise ZoneFileError("must be a GeoJSON Feature", feature=str(number))
        properties = item.get("properties")
        if not isinstance(properties, dict):
            raise ZoneFileError("is missing", feature=str(number), field="properties")
        name = properties.get("name") if isinstance(properties.get("name"), str) else None
        drafts.append(
            _plain_draft(
                _label(number, name), properties, item.get("geometry"), max_vertices, field_prefix="properties."
            )
        )
    return drafts


def _fastkml():
    """fastkml's modules, imported when a KML file is read or written. It warns that lxml is absent:
    the standard library's XML parser serves (only pretty-printing needs lxml)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastkml import containers, data, features, geometry, kml
    return containers, data, features, geometry, kml


def _read_kml(text, max_vertices):
    *_, kml = _fastkml()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = kml.KML.from_string(text.encode())
    except Exception as exc:  # fastkml raises the XML parser's own errors
        raise ZoneFileError(f"The KML cannot be read: {exc}") from None
    placemarks = list(_placemarks(document))
    _check_count(placemarks)
    drafts = []
    for number, placemark in enumerate(placemarks, start=1):
        feature = _label(number, placemark.name)
        properties = {"name": placemark.name, "description": placemark.description}
        if placemark.extended_data is not None:
            for element in placemark.extended_data.elements:
                if getattr(element, "name", None):
                    properties[element.name] = element.value
        shape = placemark.geometry
        if shape is None:
            raise ZoneFileError("is missing: a Polygon (or a Point with radius_m)", feature=feature, field="geometry")
        geometry = shape.__geo_interface__
        if geometry.get("type") not in ("Polygon", "Point"):
            raise ZoneFileError(
                f"must be a Polygon (or a Point with radius_m), not {geometry.get('type')}",
                feature=feature,
                field="geometry",
            )
        geometry = _plain_geojson(geometry)
        if properties.get("radius_m") and properties.get("centre"):
            lon, lat = (float(value) for value in str(properties["centre"]).split(","))
            geometry = {"type": "Point", "coordinates": [lon, lat]}
        drafts.append(_plain_draft(feature, properties, geometry, max_vertices, field_prefix="ExtendedData."))
    return drafts


def _placemarks(container):
    for item in getattr(container, "features", None) or []:
        if type(item).__name__ == "Placemark":
            yield item
        else:
            yield from _placemarks(item)


def _plain_geojson(shape):
    """pygeoif's __geo_interface__ (tuples, 3D positions, a bbox) as the plain GeoJSON the parser takes."""

    def positions(value):
        if isinstance(value, tuple | list) and value and isinstance(value[0], int | float):
            return [float(value[0]), float(value[1])]
        return [positions(item) for item in value]

    return {"type": shape["type"], "coordinates": positions(shape["coordinates"])}


# --- writing --------------------------------------------------------------------------------------


def _stamp(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _applicability(schedule, starts_at=None, ends_at=None):
    if starts_at or ends_at:
        return [{"permanent": "NO", "startDateTime": _stamp(starts_at), "endDateTime": _stamp(ends_at)}]
    if not schedule:
        return [{"permanent": "YES"}]
    return [
        {
            "permanent": "NO",
            "startDateTime": period["starts_at"],
            "endDateTime": period["ends_at"],
            **(
                {
                    "dailyPeriod": [
                        {
                            "day": period["daily"]["days"] or ["ANY"],
                            "startTime": period["daily"]["start"],
                            "endTime": period["daily"]["end"],
                        }
                    ]
                }
                if period.get("daily")
                else {}
            ),
        }
        for period in schedule
    ]


def _projection(area, radius_m):
    if area["type"] == "Point":
        return {"type": "Circle", "center": area["coordinates"][:2], "radius": radius_m}
    return area


@dataclass(frozen=True)
class Shape:
    """One thing to write: a zone or a permit, in the terms every format needs."""

    identifier: str
    name: str
    restriction: str  # ED-269 restriction
    area: dict
    radius_m: float | None
    boundary: dict
    min_altitude_m: float
    max_altitude_m: float
    message: str = ""
    schedule: list = field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    properties: dict = field(default_factory=dict)  # GeoJSON properties and KML ExtendedData


def zone_shape(zone):
    return Shape(
        identifier=zone.identifier,
        name=zone.name,
        restriction=RESTRICTION_OF_KIND[zone.kind],
        area=zone.area,
        radius_m=zone.radius_m,
        boundary=zone.boundary,
        min_altitude_m=zone.min_altitude_m,
        max_altitude_m=zone.max_altitude_m,
        message=zone.description,
        schedule=zone.schedule,
        properties={
            "name": zone.name,
            "kind": zone.kind,
            "identifier": zone.identifier,
            "description": zone.description,
            "min_altitude_m": zone.min_altitude_m,
            "max_altitude_m": zone.max_altitude_m,
            "radius_m": zone.radius_m,
            "schedule": zone.schedule,
            "active": zone.active,
        },
    )


def write_ed269(shapes, *, title):
    return {
        "formatVersion": "1.0.0",
        "createdAt": _stamp(datetime.now(UTC)),
        "title": title,
        "UASZoneList": [
            {
                "identifier": shape.identifier or None,
                "country": COUNTRY,
                "name": shape.name,
                "type": "COMMON" if not shape.starts_at else "CUSTOMIZED",
                "restriction": shape.restriction,
                "restrictionConditions": None,
                "reason": ["OTHER"],
                "message": shape.message or None,
                "applicability": _applicability(shape.schedule, shape.starts_at, shape.ends_at),
                "zoneAuthority": [],
                "geometry": [
                    {
                        "uomDimensions": "M",
                        "lowerLimit": shape.min_altitude_m,
                        "lowerVerticalReference": "AGL",
                        "upperLimit": None if shape.max_altitude_m >= UNLIMITED_M else shape.max_altitude_m,
                        "upperVerticalReference": "AGL",
                        "horizontalProjection": _projection(shape.area, shape.radius_m),
                    }
                ],
            }
            for shape in shapes
        ],
    }


def write_geojson(shapes, *, title):
    return {
        "type": "FeatureCollection",
        "name": title,
        "features": [{"type": "Feature", "geometry": shape.area, "properties": shape.properties} for shape in shapes],
    }


def write_kml(shapes, *, title) -> str:
    """KML for map tools: each shape a Placemark with its footprint as a Polygon and its fields as
    ExtendedData (a circle keeps its centre and radius there, so it is read back as a circle)."""
    from pygeoif.geometry import Polygon

    containers, data, features, geometry, kml = _fastkml()

    document = containers.Document(name=title)
    for shape in shapes:
        values = {
            key: value
            for key, value in shape.properties.items()
            if value not in (None, "") and key not in ("name", "description")
        }
        if shape.radius_m:
            values["centre"] = ",".join(str(value) for value in shape.area["coordinates"][:2])
        elements = [
            data.Data(name=key, value=json.dumps(value) if isinstance(value, list | dict | bool) else str(value))
            for key, value in values.items()
        ]
        document.append(
            features.Placemark(
                name=shape.name,
                description=shape.message or None,
                kml_geometry=geometry.Polygon(
                    geometry=Polygon([tuple(point) for point in shape.boundary["coordinates"][0]])
                ),
                extended_data=data.ExtendedData(elements=elements),
            )
        )
    root = kml.KML()
    root.append(document)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + root.to_string(prettyprint=False)


def write(shapes, file_format, *, title) -> str:
    if file_format == "kml":
        return write_kml(shapes, title=title)
    document = write_ed269(shapes, title=title) if file_format == "ed269" else write_geojson(shapes, title=title)
    return json.dumps(document, indent=1, ensure_ascii=False)
