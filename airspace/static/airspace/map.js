// The pages' maps. Leaflet and Leaflet.draw come from our own static files; tiles from the
// configured tile server when it answers. The volumes, zones and tracks are vector layers, so the
// map still shows them on a plain background on a closed network.
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
    }
    return map;
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

  // The drawing tool of the application and zone forms: one polygon or one circle, written into
  // the form's `area` (GeoJSON) and `radius_m` fields.
  function areaEditor(map, areaInput, radiusInput, summary) {
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

    function write() {
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
    }

    map.on(L.Draw.Event.CREATED, (event) => {
      drawn.clearLayers();
      drawn.addLayer(event.layer);
      write();
    });
    map.on(L.Draw.Event.EDITED, write);
    map.on(L.Draw.Event.DELETED, write);

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

  window.AirspaceMap = { COLOURS, createMap, textLabel, addZone, addVolume, fit, frameVolume, areaEditor };
})();
