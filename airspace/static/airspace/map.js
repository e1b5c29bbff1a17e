// The pages' maps. Leaflet and Leaflet.draw come from our own static files. With no tile server
// (the closed-network default) every map draws the offline base map: borders, governorates, rivers
// and towns from our own static basemap.json (tools/build_basemap.py); with MAP_TILE_URL set the
// tiles carry the geography instead. The volumes, zones and tracks are vector layers above it.
(function () {
  "use strict";
  const COLOURS = {
    prohibited: "#b3261e", restricted: "#d98c00", volume: "#1f5fa8", other: "#6a4c93",
    authorized: "#1e7b34", nonconforming: "#d98c00", unauthorized: "#b3261e", unregistered: "#7b1fa2",
  };

  function config() {
    return JSON.parse(document.getElementById("map-config").textContent);
  }

  function createMap(element) {
    const settings = config();
    const map = L.map(element, { center: settings.center, zoom: settings.zoom });
    if (settings.tile_url) {
      L.tileLayer(settings.tile_url, { attribution: settings.attribution, maxZoom: 19 }).addTo(map);
    } else if (settings.basemap_url) {
      addBasemap(map, settings.basemap_url);
    }
    return map;
  }

  // The base map sits in panes under Leaflet's overlay pane (400), so zones, volumes and tracks are
  // drawn over it and take the clicks; its labels sit just under the overlays too, never over them.
  const BASEMAP_STYLE = {
    country: { color: "#8d8a84", weight: 1.2, fillColor: "#eeebe3", fillOpacity: 1 },
    iraq: { color: "#6f6c66", weight: 1.6, fillColor: "#fbfaf6", fillOpacity: 1 },
    province: { color: "#aaa396", weight: 1, dashArray: "5 4" },
    lake: { color: "#9cc2de", weight: 0.6, fillColor: "#cfe2f0", fillOpacity: 1 },
    river: { color: "#8fbbdc", weight: 1.6 },
    town: { color: "#6b6b6b", weight: 1, fillColor: "#ffffff", fillOpacity: 1 },
  };
  // Which towns are named at which zoom: the bigger the town, the further out it is shown.
  const TOWN_TIERS = [
    [1000000, 5], [300000, 6], [100000, 7], [30000, 8], [10000, 9], [3000, 10], [0, 11],
  ];
  let basemapData = null;

  function loadBasemap(url) {
    if (!basemapData) basemapData = fetch(url, { credentials: "same-origin" }).then((response) => response.json());
    return basemapData;
  }

  function label(latlng, text, className) {
    const html = document.createElement("span");
    html.textContent = text;
    return L.marker(latlng, {
      pane: "basemapLabels", interactive: false, keyboard: false,
      icon: L.divIcon({ className: `basemap-label ${className}`, html, iconSize: null }),
    });
  }

  function addBasemap(map, url) {
    map.getContainer().classList.add("has-basemap");
    map.createPane("basemap").style.zIndex = 250;
    map.createPane("basemapLabels").style.zIndex = 350;
    map.getPane("basemapLabels").style.pointerEvents = "none";
    const pane = { pane: "basemap", interactive: false };
    // GeoNames' licence (CC BY 4.0) asks for its name beside its data.
    map.attributionControl.addAttribution("Towns: GeoNames (CC BY 4.0); borders, rivers: Natural Earth");
    return loadBasemap(url).then((data) => {
      L.geoJSON(data.countries, {
        ...pane, style: (feature) => (feature.properties.name === "Iraq" ? BASEMAP_STYLE.iraq : BASEMAP_STYLE.country),
      }).addTo(map);
      L.geoJSON(data.lakes, { ...pane, style: BASEMAP_STYLE.lake }).addTo(map);
      L.geoJSON(data.rivers, { ...pane, style: BASEMAP_STYLE.river }).addTo(map);
      L.geoJSON(data.province_borders, { ...pane, style: BASEMAP_STYLE.province }).addTo(map);

      const countries = data.countries.features.filter((f) => f.properties.label).map((f) => ({
        name: f.properties.name, latlng: L.latLng(f.properties.label[1], f.properties.label[0]),
      }));
      const names = L.layerGroup().addTo(map);
      const towns = data.towns.features.map((town) => ({
        name: town.properties.name,
        population: town.properties.population,
        latlng: L.latLng(town.geometry.coordinates[1], town.geometry.coordinates[0]),
      })).sort((a, b) => b.population - a.population);
      const provinces = data.provinces.features.map((f) => ({
        name: f.properties.name, latlng: L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]),
      }));

      // The names for this zoom: the countries (zoomed out), then the towns big enough for it, biggest
      // first, each only where it does not overlap a name already placed (so a crowded city shows its
      // own name, not a smudge); then the governorates' names where there is room.
      function placeNames() {
        const zoom = map.getZoom();
        const smallest = Math.min(Infinity, ...TOWN_TIERS.filter(([, from]) => zoom >= from).map(([people]) => people));
        const placed = [];
        const fits = (box) => !placed.some((other) =>
          box[0] < other[2] && other[0] < box[2] && box[1] < other[3] && other[1] < box[3]);
        // A country's or governorate's name, centred on its label point.
        const areaNames = (areas, kind, letter) => areas.forEach((area) => {
          const at = map.project(area.latlng, zoom);
          const half = area.name.length * letter;
          const box = [at.x - half, at.y - 8, at.x + half, at.y + 8];
          if (!fits(box)) return;
          placed.push(box);
          label(area.latlng, area.name, kind).addTo(names);
        });
        names.clearLayers();
        if (zoom <= 7) areaNames(countries, "country", 5.5);
        towns.forEach((town) => {
          if (town.population < smallest) return;
          const size = town.population >= 300000 ? "city" : "town";
          const at = map.project(town.latlng, zoom);
          const box = [at.x - 4, at.y - 8, at.x + 8 + town.name.length * (size === "city" ? 7.2 : 6.3), at.y + 8];
          if (!fits(box)) return;
          placed.push(box);
          L.circleMarker(town.latlng, { ...pane, ...BASEMAP_STYLE.town, radius: size === "city" ? 3.5 : 2.5 }).addTo(names);
          label(town.latlng, town.name, size).addTo(names);
        });
        if (zoom >= 6 && zoom <= 10) areaNames(provinces, "province", 4.2);
      }
      map.on("zoomend", placeNames);
      placeNames();
      map.getContainer().dataset.basemap = "drawn";
      return data;
    });
  }

  // A tooltip's text as an element: Leaflet puts a string tooltip into innerHTML, and zone names,
  // operator names and sensor track ids are typed by people and machines.
  function textLabel(text) {
    const label = document.createElement("span");
    label.textContent = text;
    return label;
  }

  function addZone(map, zone) {
    return L.geoJSON(zone.boundary, {
      style: { color: COLOURS[zone.kind], weight: 2, fillOpacity: 0.12, dashArray: "6 4" },
    }).bindTooltip(textLabel(`${zone.name} (${zone.kind}, ${zone.min_altitude_m}–${zone.max_altitude_m} m)`)).addTo(map);
  }

  function addVolume(map, boundary, label, colour) {
    return L.geoJSON(boundary, { style: { color: colour || COLOURS.volume, weight: 3, fillOpacity: 0.2 } })
      .bindTooltip(textLabel(label)).addTo(map);
  }

  function fit(map, layers, pad = 0.4) {
    const present = layers.filter(Boolean);
    // Never closer than zoom 13: the officer must see what lies around a small volume.
    if (present.length) map.fitBounds(L.featureGroup(present).getBounds().pad(pad), { maxZoom: 13 });
  }

  // The permit page: frame the volume with what the officer weighs against it — the other flights
  // near it and the zones it touches — so that a 400 m circle is still a shape, not a dot. Every
  // other zone stays drawn but does not move the view. A touched zone counts only around the volume
  // (a city-wide zone would shrink it again). The server sends only the flights near the volume
  // (permits/selectors.py, neighbouring_flights).
  function frameVolume(map, volume, { neighbours = [], touchedZones = [], maxZoom = 16 } = {}) {
    const focus = volume.getBounds();
    const nearby = focus.pad(1.5);
    const view = L.latLngBounds(focus.getSouthWest(), focus.getNorthEast());
    neighbours.filter(Boolean).forEach((layer) => view.extend(layer.getBounds()));
    touchedZones.filter(Boolean).forEach((layer) => {
      const zone = layer.getBounds();
      if (!nearby.intersects(zone)) return;
      view.extend(L.latLngBounds(
        [Math.max(zone.getSouth(), nearby.getSouth()), Math.max(zone.getWest(), nearby.getWest())],
        [Math.min(zone.getNorth(), nearby.getNorth()), Math.min(zone.getEast(), nearby.getEast())]));
    });
    map.fitBounds(view.pad(0.1), { padding: [24, 24], maxZoom });
  }

  function round(value) {
    return Math.round(value * 1e7) / 1e7;
  }

  // A typed position: decimal degrees "33.31, 44.36" (latitude first) or MGRS "38S MB 44123 88734"
  // (the vendored mgrs library). Returns [lat, lng] or throws an Error whose message is for a person.
  const DECIMAL = /^\s*([-+]?\d+(?:\.\d+)?)\s*[,;\s]\s*([-+]?\d+(?:\.\d+)?)\s*$/;
  const MGRS_TEXT = /^\d{1,2}[C-HJ-NP-X][A-HJ-NP-Z]{2}(\d{2}|\d{4}|\d{6}|\d{8}|\d{10})$/;

  function parsePosition(text) {
    const decimal = text.match(DECIMAL);
    if (decimal) {
      const lat = Number(decimal[1]);
      const lng = Number(decimal[2]);
      if (Math.abs(lat) > 90) throw new Error(`“${text.trim()}”: the latitude comes first and lies between -90 and 90.`);
      if (Math.abs(lng) > 180) throw new Error(`“${text.trim()}”: the longitude lies between -180 and 180.`);
      return [lat, lng];
    }
    const compact = text.replace(/\s+/g, "").toUpperCase();
    if (MGRS_TEXT.test(compact)) {
      try {
        const [lng, lat] = mgrs.toPoint(compact);
        if (Number.isFinite(lat) && Number.isFinite(lng)) return [lat, lng];
      } catch (error) { /* said below */ }
    }
    throw new Error(`“${text.trim()}” is neither decimal degrees (33.31, 44.36) nor MGRS (38S MB 44123 88734).`);
  }

  function formatPosition(lat, lng) {
    return `${lat.toFixed(6)}, ${lng.toFixed(6)}`;
  }

  // The drawing tool of the application and zone forms: one polygon or one circle, written into
  // the form's `area` (GeoJSON) and `radius_m` fields. `typed` (optional) are the form's fields for
  // typing the same area without a mouse: {points, centre, radius, apply, error}; a typed area is
  // drawn and written like a drawn one, and a drawn area fills the typed fields back.
  function areaEditor(map, areaInput, radiusInput, summary, typed) {
    const drawn = new L.FeatureGroup().addTo(map);
    map.addControl(new L.Control.Draw({
      position: "topleft",
      draw: {
        polygon: { allowIntersection: false, showArea: true, shapeOptions: { color: COLOURS.volume } },
        circle: { shapeOptions: { color: COLOURS.volume } },
        rectangle: false, polyline: false, marker: false, circlemarker: false,
      },
      edit: { featureGroup: drawn },
    }));

    // fromTyped: the typed fields keep what the person typed (MGRS stays MGRS).
    function write(fromTyped = false) {
      const layer = drawn.getLayers()[0];
      if (!layer) {
        areaInput.value = "";
        radiusInput.value = "";
        summary.textContent = "No area drawn yet.";
      } else if (layer instanceof L.Circle) {
        const centre = layer.getLatLng();
        areaInput.value = JSON.stringify({ type: "Point", coordinates: [round(centre.lng), round(centre.lat)] });
        radiusInput.value = Math.round(layer.getRadius());
        summary.textContent = `Circle of ${radiusInput.value} m around ${round(centre.lat)}, ${round(centre.lng)}.`;
      } else {
        const geometry = layer.toGeoJSON().geometry;
        geometry.coordinates = geometry.coordinates.map((ring) => ring.map(([x, y]) => [round(x), round(y)]));
        areaInput.value = JSON.stringify(geometry);
        radiusInput.value = "";
        summary.textContent = `Polygon of ${geometry.coordinates[0].length - 1} corners.`;
      }
      areaInput.dispatchEvent(new Event("change"));
      if (typed && !fromTyped) fillTyped(layer);
    }

    // The drawn (or stored) area written back into the typed fields, in decimal degrees.
    function fillTyped(layer) {
      typed.points.value = "";
      typed.centre.value = "";
      typed.radius.value = "";
      if (layer instanceof L.Circle) {
        typed.centre.value = formatPosition(layer.getLatLng().lat, layer.getLatLng().lng);
        typed.radius.value = Math.round(layer.getRadius());
      } else if (layer) {
        typed.points.value = layer.getLatLngs()[0].map((corner) => formatPosition(corner.lat, corner.lng)).join("\n");
      }
      showTypedError(null);
      typedDirty = false;
    }

    let typedDirty = false;

    function showTypedError(message, field) {
      typed.error.textContent = message || "";
      typed.error.hidden = !message;
      [typed.points, typed.centre, typed.radius].forEach((input) => input.removeAttribute("aria-invalid"));
      if (field) field.setAttribute("aria-invalid", "true");
      typed.error.invalidField = field;
    }

    // The typed fields as a layer; throws an Error naming what is wrong and sets .field to its input.
    function typedLayer() {
      const fail = (message, field) => Object.assign(new Error(message), { field });
      const lines = typed.points.value.split("\n").map((line) => line.trim()).filter(Boolean);
      const centreText = typed.centre.value.trim();
      const radiusText = String(typed.radius.value).trim();
      if (lines.length && (centreText || radiusText)) {
        throw fail("Type either the corners of a polygon or a centre and radius, not both.", typed.points);
      }
      if (lines.length) {
        const corners = lines.map((line, index) => {
          try {
            return parsePosition(line);
          } catch (error) {
            throw fail(`Corner ${index + 1}: ${error.message}`, typed.points);
          }
        });
        const [first, last] = [corners[0], corners[corners.length - 1]];
        if (corners.length > 1 && first[0] === last[0] && first[1] === last[1]) corners.pop();
        if (corners.length < 3) throw fail("A polygon needs at least three corners, one per line.", typed.points);
        return L.polygon(corners);
      }
      if (!centreText && !radiusText) return null;
      if (!centreText) throw fail("Type the centre of the circle (decimal degrees or MGRS).", typed.centre);
      let centre;
      try {
        centre = parsePosition(centreText);
      } catch (error) {
        throw fail(`Centre: ${error.message}`, typed.centre);
      }
      const radius = Number(radiusText);
      if (!radiusText || !Number.isFinite(radius) || radius <= 0) {
        throw fail("Type the circle's radius in metres (a number above 0).", typed.radius);
      }
      return L.circle(centre, { radius });
    }

    // Draw what was typed; true when the typed fields are empty or valid.
    function applyTyped() {
      let layer;
      try {
        layer = typedLayer();
      } catch (error) {
        showTypedError(error.message, error.field);
        return false;
      }
      showTypedError(null);
      typedDirty = false;
      if (!layer) return true;
      drawn.clearLayers();
      drawn.addLayer(layer);
      write(true);
      fit(map, [layer]);
      return true;
    }

    if (typed) {
      typed.apply.addEventListener("click", applyTyped);
      [typed.points, typed.centre, typed.radius].forEach((input) => {
        input.addEventListener("input", () => { typedDirty = true; });
        input.addEventListener("change", () => { if (typedDirty) applyTyped(); });
      });
      // Typed and not yet shown (no blur, no button): shown now, and the form waits if it is wrong.
      areaInput.form.addEventListener("submit", (event) => {
        if (typedDirty && !applyTyped()) {
          event.preventDefault();
          (typed.error.invalidField || typed.points).focus();
        }
      });
    }

    map.on(L.Draw.Event.CREATED, (event) => {
      drawn.clearLayers();
      drawn.addLayer(event.layer);
      write();
    });
    map.on(L.Draw.Event.EDITED, () => write());
    map.on(L.Draw.Event.DELETED, () => write());

    // The area already in the form: editing, or the form shown again with errors.
    if (areaInput.value) {
      try {
        const geometry = JSON.parse(areaInput.value);
        if (geometry.type === "Point" && radiusInput.value) {
          drawn.addLayer(L.circle([geometry.coordinates[1], geometry.coordinates[0]], { radius: +radiusInput.value }));
        } else {
          L.geoJSON(geometry).eachLayer((layer) => drawn.addLayer(layer));
        }
        fit(map, drawn.getLayers());
      } catch (error) {
        summary.textContent = "The area in the form is not valid GeoJSON; draw it again.";
        return drawn;
      }
    }
    write();
    return drawn;
  }

  // The typed-area fields of templates/typed_area.html, for areaEditor.
  function typedFields() {
    const byId = (id) => document.getElementById(id);
    return {
      points: byId("typed-points"), centre: byId("typed-centre"), radius: byId("typed-radius"),
      apply: byId("typed-apply"), error: byId("typed-area-error"),
    };
  }

  window.AirspaceMap = {
    COLOURS, createMap, textLabel, addZone, addVolume, fit, frameVolume, areaEditor, parsePosition, typedFields,
  };
})();
