// The air defense console: the air picture to act from, and the alerts.
//
// The picture: tracks by threat (hostile red diamond, suspect amber diamond, friendly green circle)
// with a label and a short trail (the evidence's last positions when the page opens, then the
// positions it sees); the permits in effect as the friendly picture, redrawn when a permit
// notification arrives; the zones with their names. Beside it flight following: the permitted
// drones that went silent, the sensors off the air with what they covered, the swarms.
//
// The alerts: from the live stream (Server-Sent Events), newest first, de-duplicated by id (delivery
// is at least once). Clicking one (or Enter on it) flies the map to what it is about. Warnings and
// critical alerts wait for an Acknowledge; information needs none. The hostile alerts waiting are
// counted in the page and its title, a new hostile or critical alert beeps (unless the sound is
// turned off), and the list can be filtered by severity and kind (both remembered by the browser).
//
// Sections: words · map layers · the picture (permits, tracks, following) · alerts (rendering,
// actions, count, sound, filter) · the live stream. An alert's buttons come from `alertActions`
// (Acknowledge is one): a feature adds its own with AirspaceConsole.addAlertAction.
(function () {
  "use strict";
  const settings = JSON.parse(document.getElementById("console-config").textContent);
  const HOSTILE_KINDS = new Set(settings.hostile_kinds);
  const TO_ACKNOWLEDGE = new Set(settings.severities_to_acknowledge);
  // How long to wait before opening a new stream when the server refused one.
  const RECONNECT_MS = 3000;
  const TRAIL_POINTS = 10;
  const STORAGE = { sound: "airspace.console.sound", filter: "airspace.console.filter" };

  // --- words -------------------------------------------------------------------------------------

  const KIND_TITLES = {
    "track.hostile": "HOSTILE TRACK",
    "track.nonconforming": "Flight outside its permit",
    "permit.approved": "Permit approved",
    "permit.activated": "Permit active",
    "permit.completed": "Permit completed",
    "permit.cancelled": "Permit cancelled",
    "permit.revoked": "Permit revoked",
    "track.contact_lost": "CONTACT LOST",
    "track.contact_regained": "Contact regained",
    "track.conforming_again": "Back inside its volume",
    "sensor.stale": "Sensor stale",
    "sensor.offline": "SENSOR OFFLINE",
    "sensor.online": "Sensor back online",
    "swarm": "SWARM",
    "incident.unit_assigned": "Unit sent",
  };
  // The filter's kinds, in groups a person thinks in; a kind not listed falls under "Other".
  const KIND_GROUPS = [
    { key: "hostile", label: "Hostile tracks and swarms", kinds: ["track.hostile", "swarm"] },
    { key: "conformance", label: "Flights outside their permit", kinds: ["track.nonconforming", "track.conforming_again"] },
    { key: "contact", label: "Contact lost or regained", kinds: ["track.contact_lost", "track.contact_regained"] },
    { key: "permits", label: "Permits", kinds: ["permit.approved", "permit.activated", "permit.completed",
      "permit.cancelled", "permit.revoked"] },
    { key: "sensors", label: "Sensors", kinds: ["sensor.stale", "sensor.offline", "sensor.online"] },
    { key: "incidents", label: "Incidents", kinds: ["incident.unit_assigned"] },
  ];
  const SEVERITY_WORDS = { info: "Information", warning: "Warning", critical: "Critical" };
  const CLASSIFICATION_WORDS = {
    unregistered: "Unregistered drone — hostile",
    unauthorized: "Registered drone without a permit — hostile",
    nonconforming: "Drone outside its permit — suspect",
    authorized: "Drone flying its permit — friendly",
  };
  const HEALTH_WORDS = { online: "on the air", stale: "stale", offline: "off the air", unknown: "not heard yet" };
  const SENSOR_KIND_WORDS = { radar: "radar", rf: "RF detector", remote_id: "Remote ID receiver" };
  const PERMIT_STATE_WORDS = { approved: "approved", active: "active" };
  const THREAT_WORDS = { hostile: "HOSTILE", suspect: "SUSPECT", friendly: "FRIENDLY" };
  const THREAT_COLOURS = { hostile: "#b3261e", suspect: "#d98c00", friendly: "#1e7b34" };
  const PERMIT_COLOUR = THREAT_COLOURS.friendly;

  function kindTitle(kind) {
    return KIND_TITLES[kind] || kind.replace(/[._]/g, " ").replace(/^./, (first) => first.toUpperCase());
  }

  function groupOf(kind) {
    const group = KIND_GROUPS.find((candidate) => candidate.kinds.includes(kind));
    return group ? group.key : "other";
  }

  // A track's threat: hostile by its class or because its flight was escalated, suspect outside its permit.
  function threatOf(track) {
    if (track.hostile || track.classification === "unregistered" || track.classification === "unauthorized") {
      return "hostile";
    }
    return track.classification === "nonconforming" ? "suspect" : "friendly";
  }

  function duration(seconds) {
    const total = Math.max(0, Math.round(seconds));
    if (total < 60) return `${total} s`;
    if (total < 3600) return `${Math.floor(total / 60)} min ${total % 60} s`;
    return `${Math.floor(total / 3600)} h ${Math.floor((total % 3600) / 60)} min`;
  }

  function latLon(lat, lon) {
    return `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  }

  // Where, in words, as the payload says it (place and MGRS, when the server gives them), else lat, lon.
  function placeText(place) {
    if (!place) return "";
    return typeof place === "string" ? place : place.text || place.description || place.name || "";
  }

  function whereText(holders, lat, lon) {
    const holder = holders.find((candidate) => candidate && (candidate.place || candidate.mgrs));
    const parts = [];
    if (holder && placeText(holder.place)) parts.push(placeText(holder.place));
    if (holder && holder.mgrs) parts.push(`MGRS ${holder.mgrs}`);
    if (!parts.length && typeof lat === "number" && typeof lon === "number") parts.push(latLon(lat, lon));
    return parts.join(" · ");
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function fetchJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  function stored(key, fallback) {
    try {
      const value = window.localStorage.getItem(key);
      return value === null ? fallback : JSON.parse(value);
    } catch (error) {
      return fallback; // storage off (private mode) or a value from an older page
    }
  }

  function store(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      /* storage off: the choice lasts as long as the page */
    }
  }

  // --- map layers ----------------------------------------------------------------------------------

  const mapElement = document.getElementById("console-map");
  const map = AirspaceMap.createMap(mapElement);
  const zoneLayer = L.layerGroup().addTo(map);
  const permitLayer = L.layerGroup().addTo(map);
  const coverageLayer = L.layerGroup().addTo(map);
  const swarmLayer = L.layerGroup().addTo(map);
  const trailLayer = L.layerGroup().addTo(map);
  const lostLayer = L.layerGroup().addTo(map);
  const trackLayer = L.layerGroup().addTo(map);
  const highlightLayer = L.layerGroup().addTo(map);
  const labelLayer = L.layerGroup().addTo(map);

  // A name written on the map, centred on a point, always shown (the CSS hides the area labels when
  // zoomed out so far that they would pile up).
  function mapLabel(latLng, lines, className) {
    const element = document.createElement("span");
    [].concat(lines).forEach((line, index) => {
      if (index) element.appendChild(document.createElement("br"));
      element.appendChild(document.createTextNode(line));
    });
    return L.marker(latLng, {
      icon: L.divIcon({ className: `map-label ${className}`, html: element, iconSize: null }),
      interactive: false, keyboard: false,
    });
  }

  function showZoomClass() {
    mapElement.classList.toggle("zoomed-out", map.getZoom() < 11);
  }
  map.on("zoomend", showZoomClass);
  showZoomClass();

  settings.zones.forEach((zone) => {
    const layer = AirspaceMap.addZone(zoneLayer, zone);
    mapLabel(layer.getBounds().getCenter(), zone.name, `area-label zone-label ${zone.kind}`).addTo(labelLayer);
  });

  // --- the picture: permits in effect ------------------------------------------------------------

  async function refreshPermits() {
    const now = Date.now();
    const query = new URLSearchParams({
      limit: "1000",
      ends_after: new Date(now).toISOString(),
      starts_before: new Date(now + settings.permits_ahead_ms).toISOString(),
    });
    query.append("state", "approved");
    query.append("state", "active");
    try {
      const page = await fetchJson(`/api/v1/permits/map/?${query}`);
      drawPermits(page.results, now);
    } catch (error) {
      /* the next refresh tries again */
    }
  }

  function drawPermits(permits, now) {
    permitLayer.clearLayers();
    permits.forEach((permit) => {
      const flying = permit.state === "active" || Date.parse(permit.starts_at) <= now;
      const style = {
        color: PERMIT_COLOUR, weight: 2, fillOpacity: flying ? 0.18 : 0.06, dashArray: flying ? null : "6 5",
        className: `permit-volume ${permit.state}${flying ? "" : " soon"}`,
      };
      const area = permit.area;
      const layer = area.type === "Point"
        ? L.circle([area.coordinates[1], area.coordinates[0]], { ...style, radius: permit.radius_m })
        : L.geoJSON(area, { style });
      const when = flying
        ? `until ${AirspaceTime.format(permit.ends_at, "time")}`
        : `from ${AirspaceTime.format(permit.starts_at, "time")}`;
      const lines = [`${permit.reference} · ${permit.operator}`, `${permit.min_altitude_m}–${permit.max_altitude_m} m · ${when}`];
      layer.bindTooltip(AirspaceMap.textLabel(
        `Permit ${PERMIT_STATE_WORDS[permit.state] || permit.state}: ${lines.join(" · ")} · ${permit.aircraft_serial_number}`));
      layer.addTo(permitLayer);
      // Under the volume, so that it does not cover the drones flying in it.
      const bounds = layer.getBounds();
      mapLabel([bounds.getSouth(), bounds.getCenter().lng], lines, `area-label permit-label${flying ? "" : " soon"}`)
        .addTo(permitLayer);
    });
    document.getElementById("permit-count").textContent = String(permits.length);
  }

  // --- the picture: tracks, their labels and trails ------------------------------------------------

  const trails = new Map(); // track id -> [[lat, lon], ...], oldest first
  const trackMarkers = new Map(); // track id -> marker
  let highlighted = null; // { trackId, latLng, until }

  function trackSymbol(threat, size) {
    const half = size / 2;
    const shape = threat === "friendly"
      ? `<circle cx="${half}" cy="${half}" r="${half - 2}"/>`
      : `<path d="M${half} 1 L${size - 1} ${half} L${half} ${size - 1} L1 ${half} Z"/>`;
    return `<svg width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" aria-hidden="true">${shape}</svg>`;
  }

  // The pilot of a track (from Remote ID): a small square in the track's colour, a dashed line to the drone.
  function pilotMarker(track, threat) {
    const pilot = [track.operator_position.lat, track.operator_position.lon];
    const label = `PILOT of ${track.sensor_track_id} · ${latLon(pilot[0], pilot[1])}`;
    return [
      L.polyline([pilot, [track.last_lat, track.last_lon]], {
        color: THREAT_COLOURS[threat], weight: 1, dashArray: "1 5", interactive: false,
      }),
      L.circleMarker(pilot, {
        radius: 6, color: THREAT_COLOURS[threat], weight: 2, fillColor: "#fff", fillOpacity: 1,
        className: `pilot ${threat}`,
      }).bindTooltip(AirspaceMap.textLabel(label)),
    ];
  }

  function trackMarker(track) {
    const threat = threatOf(track);
    const size = threat === "friendly" ? 14 : 20;
    const icon = document.createElement("div");
    icon.innerHTML = trackSymbol(threat, size);
    // The symbol's class names its classification (and escalation), as the tests and CSS read it.
    const symbol = icon.querySelector("svg");
    symbol.setAttribute("class", `track ${track.classification} ${threat}${track.escalated ? " escalated" : ""}` +
      (track.sensor_offline ? " sensor-offline" : ""));
    symbol.firstElementChild.setAttribute("class", `track ${track.classification}`);
    const label = document.createElement("span");
    label.className = "track-label";
    label.textContent = `${THREAT_WORDS[threat]} · ${track.sensor_track_id}`;
    icon.appendChild(label);
    const notes = (track.escalated ? " · escalated" : "") +
      (track.sensor_offline ? ` · last seen by ${track.sensor}, now off the air` : "");
    const who = track.aircraft_serial_number
      ? ` · ${track.aircraft_serial_number} of ${track.operator || "unknown operator"}` : " · no registered aircraft";
    const where = whereText([track], track.last_lat, track.last_lon);
    const marker = L.marker([track.last_lat, track.last_lon], {
      icon: L.divIcon({ className: `track-marker ${threat}`, html: icon, iconSize: [size, size] }),
      keyboard: false, zIndexOffset: threat === "hostile" ? 1000 : threat === "suspect" ? 500 : 0,
    }).bindTooltip(AirspaceMap.textLabel(
      `${CLASSIFICATION_WORDS[track.classification] || track.classification} · ${track.sensor_track_id}${who} · ` +
      `${Math.round(track.last_altitude_m)} m · ${where} · seen ${AirspaceTime.format(track.last_observed_at, "time")}` +
      `${track.permit ? ` · permit ${track.permit}` : ""}${notes}`), { direction: "top", offset: [0, -size / 2] });
    marker.on("add", () => { marker.getElement().dataset.track = String(track.id); });
    return marker;
  }

  function noteTrailPoint(track) {
    const trail = trails.get(track.id) || [];
    const last = trail[trail.length - 1];
    if (!last || last[0] !== track.last_lat || last[1] !== track.last_lon) trail.push([track.last_lat, track.last_lon]);
    trails.set(track.id, trail.slice(-TRAIL_POINTS));
  }

  // The evidence's last positions of every active track: a page just opened shows where they came from.
  async function loadTrails() {
    try {
      const page = await fetchJson(`/api/v1/tracks/trails/?active=true&limit=1000&points=${TRAIL_POINTS}`);
      page.results.forEach((trail) => {
        const seen = trails.get(trail.track) || [];
        const positions = trail.positions.map((position) => [position.lat, position.lon]);
        trails.set(trail.track, positions.concat(seen.filter((point) => !positions.some(
          (known) => known[0] === point[0] && known[1] === point[1]))).slice(-TRAIL_POINTS));
      });
    } catch (error) {
      /* the trails then start from what this page sees */
    }
  }

  async function refreshTracks() {
    let page;
    try {
      page = await fetchJson("/api/v1/tracks/?active=true&limit=1000");
    } catch (error) {
      return; // the next refresh tries again
    }
    trackLayer.clearLayers();
    trailLayer.clearLayers();
    trackMarkers.clear();
    const present = new Set();
    page.results.forEach((track) => {
      present.add(track.id);
      noteTrailPoint(track);
      const threat = threatOf(track);
      const trail = trails.get(track.id);
      if (trail.length > 1) {
        L.polyline(trail, {
          color: THREAT_COLOURS[threat], weight: 2, opacity: 0.7, dashArray: "2 4", interactive: false,
          className: `trail ${threat}`,
        }).addTo(trailLayer);
      }
      const marker = trackMarker(track).addTo(trackLayer);
      trackMarkers.set(track.id, marker);
      if (track.operator_position) pilotMarker(track, threat).forEach((layer) => layer.addTo(trackLayer));
    });
    trails.forEach((_, id) => { if (!present.has(id)) trails.delete(id); });
    document.getElementById("track-count").textContent = String(page.count);
    drawHighlight();
  }

  // A ring around what an alert is about, for a few seconds; on a track it follows the track.
  function highlight(trackId, latLng) {
    highlighted = { trackId, latLng, until: Date.now() + 8000 };
    drawHighlight();
    setTimeout(drawHighlight, 8100);
  }

  function drawHighlight() {
    highlightLayer.clearLayers();
    if (!highlighted || Date.now() > highlighted.until) return;
    const marker = highlighted.trackId !== null ? trackMarkers.get(highlighted.trackId) : null;
    const latLng = marker ? marker.getLatLng() : highlighted.latLng;
    L.marker(latLng, {
      icon: L.divIcon({ className: "highlight-ring", iconSize: [48, 48] }), interactive: false, keyboard: false,
      zIndexOffset: -100,
    }).addTo(highlightLayer);
    if (marker) marker.getElement().classList.add("highlighted");
  }

  // --- the picture: flight following (lost contacts, sensors off the air, swarms) ------------------

  const lostList = document.getElementById("lost-tracks");
  const sensorList = document.getElementById("quiet-sensors");
  const swarmList = document.getElementById("swarms");

  // Replace a list's items: a name in bold, then the details, all as text.
  function fill(list, countId, rows, empty) {
    document.getElementById(countId).textContent = String(rows.length);
    list.textContent = "";
    if (!rows.length) {
      const none = document.createElement("li");
      none.className = "muted none";
      none.textContent = empty;
      list.appendChild(none);
      return;
    }
    rows.forEach(({ name, details, critical, data }) => {
      const item = document.createElement("li");
      if (critical) item.className = "critical";
      Object.assign(item.dataset, data);
      const strong = document.createElement("span");
      strong.className = "name";
      strong.textContent = name;
      item.append(strong, document.createTextNode(` · ${details}`));
      list.appendChild(item);
    });
  }

  async function refreshFollowing() {
    try {
      const [lost, sensors, swarms] = await Promise.all([
        fetchJson("/api/v1/tracks/?contact_lost=true&limit=500"),
        fetchJson("/api/v1/sensors/?health=stale&health=offline&active=true&limit=500"),
        fetchJson("/api/v1/swarms/?active=true&limit=100"),
      ]);
      showLost(lost.results);
      showSensors(sensors.results);
      showSwarms(swarms.results);
    } catch (error) {
      /* the next refresh tries again */
    }
  }

  function showLost(tracks) {
    const now = Date.now();
    lostLayer.clearLayers();
    tracks.forEach((track) => {
      const ago = duration((now - Date.parse(track.last_observed_at)) / 1000);
      const label = `CONTACT LOST · ${track.sensor_track_id} · ${track.permit || ""} · last seen ${ago} ago`;
      L.circleMarker([track.last_lat, track.last_lon], {
        radius: 12, color: "#455a64", weight: 2, dashArray: "4 4", fillOpacity: 0.1, className: "lost-track",
      }).bindTooltip(AirspaceMap.textLabel(label)).addTo(lostLayer);
    });
    fill(lostList, "lost-count", tracks.map((track) => ({
      name: track.aircraft_serial_number || track.remote_id || track.sensor_track_id,
      details: `${track.permit} · ${track.operator || "unknown operator"} · last seen ` +
        `${duration((now - Date.parse(track.last_observed_at)) / 1000)} ago ` +
        `(${AirspaceTime.format(track.last_observed_at, "time")}) at ` +
        `${latLon(track.last_lat, track.last_lon)}, ${Math.round(track.last_altitude_m)} m` +
        (placeText(track.place) ? ` · ${placeText(track.place)}` : "") +
        (track.zone ? ` · in ${track.zone_kind} zone ${track.zone}` : ""),
      critical: Boolean(track.zone),
      data: { track: String(track.id) },
    })), "No permitted drone has gone silent.");
  }

  function showSensors(sensors) {
    const now = Date.now();
    coverageLayer.clearLayers();
    sensors.forEach((sensor) => {
      if (!sensor.coverage_boundary) return;
      const offline = sensor.health === "offline";
      L.geoJSON(sensor.coverage_boundary, {
        style: { color: offline ? "#6d4c41" : "#b36b00", weight: 2, dashArray: "8 6", fillOpacity: offline ? 0.12 : 0.05,
          className: `sensor-coverage ${sensor.health}` },
      }).bindTooltip(AirspaceMap.textLabel(
        `${sensor.name} ${HEALTH_WORDS[sensor.health] || sensor.health}: what it covered is not seen`))
        .addTo(coverageLayer);
    });
    fill(sensorList, "sensor-count", sensors.map((sensor) => ({
      name: sensor.name,
      details: `${HEALTH_WORDS[sensor.health] || sensor.health} · ` +
        `${SENSOR_KIND_WORDS[sensor.kind] || sensor.kind} · silent ` +
        `${sensor.last_heard_at ? duration((now - Date.parse(sensor.last_heard_at)) / 1000) : "?"}` +
        (sensor.coverage_boundary ? " · coverage on the map" : " · coverage not surveyed"),
      critical: sensor.health === "offline",
      data: { sensor: String(sensor.id), health: sensor.health },
    })), "Every sensor is reporting.");
  }

  function showSwarms(swarms) {
    swarmLayer.clearLayers();
    swarms.forEach((swarm) => {
      const label = AirspaceMap.textLabel(
        `SWARM of ${swarm.size} within ${Math.round(swarm.radius_m)} m: ${swarm.tracks.map((t) => t.sensor_track_id).join(", ")}`);
      // Its extent in metres, and a ring of a fixed size on screen that shows at any zoom.
      L.circle([swarm.centre_lat, swarm.centre_lon], {
        radius: Math.max(swarm.radius_m, 50), color: "#b3261e", weight: 1, fillOpacity: 0.08, className: "swarm-extent",
      }).addTo(swarmLayer);
      L.circleMarker([swarm.centre_lat, swarm.centre_lon], {
        radius: 22, color: "#b3261e", weight: 3, dashArray: "10 6", fill: false, className: "swarm-area",
      }).bindTooltip(label).addTo(swarmLayer);
    });
    fill(swarmList, "swarm-count", swarms.map((swarm) => ({
      name: `Swarm of ${swarm.size}`,
      details: `within ${Math.round(swarm.radius_m)} m of ${latLon(swarm.centre_lat, swarm.centre_lon)} ` +
        `since ${AirspaceTime.format(swarm.detected_at, "time")} · ` +
        `${swarm.tracks.map((track) => track.sensor_track_id).join(", ")}`,
      critical: true,
      data: { swarm: String(swarm.id) },
    })), "No swarm.");
  }

  // --- alerts: what each says --------------------------------------------------------------------

  function describe(notification) {
    const payload = notification.payload || {};
    // A track's payload names its permit too (by reference only): the permit form is a permit's own.
    if (payload.permit && payload.permit.aircraft) {
      const permit = payload.permit;
      return `${permit.reference} · ${permit.operator} · ${permit.aircraft.serial_number} · ` +
        `${permit.min_altitude_m}–${permit.max_altitude_m} m · ${AirspaceTime.format(permit.starts_at)} → ` +
        `${AirspaceTime.format(permit.ends_at)}`;
    }
    if (payload.unit && payload.incident) {
      return `${payload.unit.name} sent to incident ${payload.incident.id} by ${payload.assigned_by}`;
    }
    if (payload.swarm) {
      const swarm = payload.swarm;
      const ids = swarm.tracks.map((track) => track.sensor_track_id).join(", ");
      return `${swarm.size} hostile drones within ${Math.round(swarm.radius_m)} m: ${ids}`;
    }
    if (payload.sensor) {
      const sensor = payload.sensor;
      const silent = sensor.silent_s !== null && sensor.silent_s !== undefined ? ` · silent ${duration(sensor.silent_s)}` : "";
      const zones = (payload.prohibited_zones_covered || []).map((zone) => zone.name);
      const covers = zones.length ? ` · covered prohibited zone ${zones.join(", ")}` : "";
      const tracks = payload.tracks_last_seen ? ` · last saw ${payload.tracks_last_seen} active track(s)` : "";
      return `${sensor.name} (${SENSOR_KIND_WORDS[sensor.kind] || sensor.kind}) ` +
        `${HEALTH_WORDS[sensor.previous_health] || sensor.previous_health} → ${HEALTH_WORDS[sensor.health] || sensor.health}` +
        `${silent}${covers}${tracks}`;
    }
    if (payload.track) {
      const track = payload.track;
      const altitude = track.position ? ` · ${Math.round(track.position.altitude_m)} m` : "";
      const who = payload.aircraft ? ` · ${payload.aircraft.serial_number} of ${payload.aircraft.operator}` : " · no registered aircraft";
      const zone = payload.zone ? ` · inside ${payload.zone.kind} zone ${payload.zone.name}` : "";
      // Where an unregistered drone entered the country (a dealer's import): the patrol's lead.
      const trace = payload.trace ? ` · ${payload.trace}` : "";
      return `${CLASSIFICATION_WORDS[track.classification] || track.classification} · ${track.sensor_track_id} ` +
        `(seen by ${track.sensor})${who}${trace}${altitude}${zone}${following(payload)}`;
    }
    return "";
  }

  // What flight following adds to a track notification.
  function following(payload) {
    if (payload.escalation) {
      const escalation = payload.escalation;
      return ` · escalated: ${escalation.reason_text.toLowerCase()} (${duration(escalation.outside_s)} outside, ` +
        `${Math.round(escalation.farthest_m)} m from its volume${escalation.outside_window ? ", past its window" : ""})`;
    }
    if (payload.excursion) {
      return ` · back inside after ${duration(payload.excursion.duration_s)}, at most ${Math.round(payload.excursion.farthest_m)} m out`;
    }
    if (payload.contact && payload.contact.near_zone !== undefined) {
      const near = payload.contact.near_zone;
      return ` · silent ${duration(payload.contact.silent_s)}` +
        (near ? ` · last seen ${Math.round(near.distance_m)} m from ${near.kind} zone ${near.name}` : "");
    }
    if (payload.contact) {
      const contact = payload.contact;
      return ` · seen again ${Math.round(contact.moved_m)} m from where it was lost` +
        (contact.far_from_where_lost ? " (far)" : "") + (contact.outside_volume ? ", outside its volume" : "");
    }
    return "";
  }

  // What an alert is about on the map: { trackId, latLng } of a point, or { bounds } of an area.
  function subjectOf(notification) {
    const payload = notification.payload || {};
    if (payload.track && payload.track.position) {
      const position = payload.track.position;
      return { trackId: payload.track.id ?? notification.track ?? null, latLng: [position.lat, position.lon],
        where: whereText([payload, payload.track], position.lat, position.lon) };
    }
    if (payload.swarm) {
      const centre = payload.swarm.centre;
      return { trackId: null, latLng: [centre.lat, centre.lon], where: whereText([payload, payload.swarm], centre.lat, centre.lon) };
    }
    if (payload.sensor && payload.sensor.coverage && payload.sensor.coverage.boundary) {
      const bounds = L.geoJSON(payload.sensor.coverage.boundary).getBounds();
      const position = payload.sensor.position;
      return { bounds, where: position ? whereText([payload, payload.sensor], position.lat, position.lon) : "" };
    }
    if (payload.sensor && payload.sensor.position) {
      const position = payload.sensor.position;
      return { trackId: null, latLng: [position.lat, position.lon], where: whereText([payload, payload.sensor], position.lat, position.lon) };
    }
    if (payload.permit && payload.permit.boundary) {
      const bounds = L.geoJSON(payload.permit.boundary).getBounds();
      const centre = bounds.getCenter();
      return { bounds, where: whereText([payload, payload.permit], centre.lat, centre.lng) };
    }
    return null;
  }

  function showOnMap(notification) {
    const subject = subjectOf(notification);
    if (!subject) return;
    if (subject.bounds) {
      map.flyToBounds(subject.bounds, { padding: [30, 30], maxZoom: 15, duration: 0.8 });
      return;
    }
    // The track where it is now, if it is still on the picture; else where the alert saw it.
    const marker = subject.trackId !== null ? trackMarkers.get(subject.trackId) : null;
    const latLng = marker ? marker.getLatLng() : L.latLng(subject.latLng);
    map.flyTo(latLng, Math.max(map.getZoom(), 14), { duration: 0.8 });
    highlight(marker ? subject.trackId : null, latLng);
  }

  // --- alerts: the list ----------------------------------------------------------------------------

  const list = document.getElementById("notifications");
  const status = document.getElementById("stream-status");
  const shown = new Map(); // notification id -> { item: <li>, notification: as last drawn }

  function render(notification) {
    if (shown.has(notification.id)) return false;
    const item = document.createElement("li");
    const hostile = HOSTILE_KINDS.has(notification.kind);
    item.className = `${notification.severity}${hostile ? " hostile" : ""}`;
    item.tabIndex = 0;
    Object.assign(item.dataset, {
      id: notification.id, kind: notification.kind, severity: notification.severity,
      group: groupOf(notification.kind), createdAt: String(Date.parse(notification.created_at)),
    });
    const title = document.createElement("div");
    title.className = "alert-title";
    title.innerHTML = `<span class="kind"></span> <span class="badge"></span> `;
    const escalated = notification.payload && notification.payload.escalation;
    title.querySelector(".kind").textContent = kindTitle(notification.kind) + (escalated ? " (escalated)" : "");
    title.querySelector(".badge").textContent = SEVERITY_WORDS[notification.severity] || notification.severity;
    title.querySelector(".badge").classList.add(`severity-${notification.severity}`);
    const today = new Date(notification.created_at).toDateString() === new Date().toDateString();
    const when = AirspaceTime.element(notification.created_at, today ? "time" : "seconds");
    when.className = "muted when";
    title.appendChild(when);
    const body = document.createElement("div");
    body.className = "what";
    body.textContent = describe(notification);
    item.append(title, body);
    const subject = subjectOf(notification);
    if (subject && subject.where) {
      const where = document.createElement("div");
      where.className = "where";
      where.textContent = subject.where;
      item.appendChild(where);
    }
    // Where the pilot is, when the drone's Remote ID gives it (airspace/surveillance/remote_id.py):
    // what a patrol needs to find the person, not only the drone.
    const pilot = notification.payload && notification.payload.track && notification.payload.track.operator_position;
    if (pilot && typeof pilot.lat === "number" && typeof pilot.lon === "number") {
      const line = document.createElement("div");
      line.className = "pilot";
      line.textContent = `Pilot at ${latLon(pilot.lat, pilot.lon)}` +
        (pilot.observed_at ? ` (reported ${AirspaceTime.format(pilot.observed_at, "time")})` : "");
      item.appendChild(line);
    }
    // The incident the alert opened or joined (airspace/incidents): where air defense works it. A line
    // of its own, so that a click on the alert's text still finds the track on the map.
    if (notification.payload && notification.payload.incident) {
      const line = document.createElement("div");
      const link = document.createElement("a");
      link.href = `/incidents/${Number(notification.payload.incident.id)}/`;
      link.className = "incident-link";
      link.textContent = `Incident ${Number(notification.payload.incident.id)}`;
      link.addEventListener("click", (event) => event.stopPropagation());
      line.appendChild(link);
      item.appendChild(line);
    }
    const actions = document.createElement("div");
    actions.className = "actions";
    item.appendChild(actions);
    showActions(item, notification);
    if (subject) {
      item.dataset.locatable = "true";
      item.title = "Show it on the map";
      item.addEventListener("click", (event) => {
        if (!event.target.closest("button, a, input, select, textarea")) showOnMap(notification);
      });
      item.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && event.target === item) {
          event.preventDefault();
          showOnMap(notification);
        }
      });
    }
    // Newest first, by creation time (the stream may deliver out of order).
    const created = Date.parse(notification.created_at);
    const before = Array.from(list.children).find((other) => Number(other.dataset.createdAt) < created);
    list.insertBefore(item, before || null);
    applyFilter();
    return true;
  }

  // An alert's buttons. Each action is (notification, item, refresh) -> element or null; it calls
  // refresh(updated notification) after it changed it, and every action is drawn again.
  const alertActions = [acknowledgement];

  function showActions(item, notification) {
    shown.set(notification.id, { item, notification });
    const actions = item.querySelector(".actions");
    actions.textContent = "";
    const refresh = (updated) => showActions(item, updated);
    alertActions.forEach((action) => {
      const element = action(notification, item, refresh);
      if (element) actions.appendChild(element);
    });
  }

  function acknowledgement(notification, item, refresh) {
    if (!TO_ACKNOWLEDGE.has(notification.severity)) {
      const note = document.createElement("span");
      note.className = "muted for-information";
      note.textContent = "For information: no acknowledgement needed";
      return note;
    }
    if (notification.acknowledged_at) {
      item.classList.add("acknowledged");
      const by = document.createElement("span");
      by.className = "muted acknowledged-by";
      by.textContent = `Acknowledged by ${notification.acknowledged_by || "someone"}`;
      return by;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary acknowledge";
    button.textContent = "Acknowledge";
    button.addEventListener("click", async () => {
      button.disabled = true;
      const response = await fetch(`/api/v1/air-defense/notifications/${notification.id}/acknowledge/`, {
        method: "POST", headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }, credentials: "same-origin",
      }).catch(() => null);
      if (response && response.ok) {
        refresh(await response.json());
        refreshHostileCount();
      } else {
        button.disabled = false;
        status.textContent = `Could not acknowledge (${response ? `HTTP ${response.status}` : "no connection"}).`;
      }
    });
    return button;
  }

  // The newest notifications from the inbox; returns the id of the newest, from which the stream
  // replays, so nothing created between the two is missed.
  async function loadInbox() {
    const page = await fetchJson("/api/v1/air-defense/notifications/?limit=100");
    page.results.slice().reverse().forEach(render);
    return page.results.length ? page.results[0].id : null;
  }

  // --- alerts: the hostile ones waiting, in the page and its title ----------------------------------

  const baseTitle = document.title;
  const waiting = document.getElementById("hostile-waiting");

  async function refreshHostileCount() {
    const query = new URLSearchParams({ unacknowledged: "true", limit: "1" });
    settings.hostile_kinds.forEach((kind) => query.append("kind", kind));
    let count;
    try {
      count = (await fetchJson(`/api/v1/air-defense/notifications/?${query}`)).count;
    } catch (error) {
      return; // the next refresh tries again
    }
    document.getElementById("hostile-count").textContent = String(count);
    document.getElementById("hostile-count-words").textContent =
      count === 1 ? "hostile alert to acknowledge" : "hostile alerts to acknowledge";
    waiting.classList.toggle("none", count === 0);
    document.title = count ? `(${count}) ${baseTitle}` : baseTitle;
  }

  // --- alerts: the audible cue ---------------------------------------------------------------------

  const soundToggle = document.getElementById("sound-toggle");
  let soundOn = stored(STORAGE.sound, true) !== false;
  let audio = null;

  function showSound() {
    soundToggle.setAttribute("aria-pressed", String(soundOn));
    soundToggle.textContent = soundOn ? "Sound on" : "Sound off";
    soundToggle.title = soundOn ? "A new hostile or critical alert beeps. Press to silence." : "Press to beep on a new hostile or critical alert.";
  }

  function audioContext() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume().catch(() => null);
    return audio;
  }

  // Two short tones, generated here: no sound file to serve.
  function beep() {
    if (!soundOn) return;
    const context = audioContext();
    if (!context) return;
    [0, 0.25].forEach((offset) => {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = 880;
      const start = context.currentTime + offset;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.2);
    });
  }

  soundToggle.addEventListener("click", () => {
    soundOn = !soundOn;
    store(STORAGE.sound, soundOn);
    showSound();
    if (soundOn) audioContext(); // a click lets the browser play sound from now on
  });
  showSound();
  // Browsers let a page make sound only after a person has clicked or typed in it: the first click
  // or key anywhere on the console readies the sound, so that the first alert is heard.
  ["pointerdown", "keydown"].forEach((type) => document.addEventListener(type, () => {
    if (soundOn) audioContext();
  }, { once: true }));

  // --- alerts: the filter --------------------------------------------------------------------------

  const filterForm = document.getElementById("alert-filter");
  const kindFilter = document.getElementById("kind-filter");
  const filteredOut = document.getElementById("filtered-out");
  const hidden = stored(STORAGE.filter, { severities: [], groups: [] });

  KIND_GROUPS.concat([{ key: "other", label: "Other" }]).forEach((group) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "group";
    box.value = group.key;
    label.append(box, document.createTextNode(` ${group.label}`));
    kindFilter.appendChild(label);
  });
  filterForm.querySelectorAll("input").forEach((box) => {
    const hiddenOnes = box.name === "severity" ? hidden.severities : hidden.groups;
    box.checked = !hiddenOnes.includes(box.value);
    box.addEventListener("change", () => {
      const unchecked = (name) => Array.from(filterForm.querySelectorAll(`input[name=${name}]`))
        .filter((other) => !other.checked).map((other) => other.value);
      hidden.severities = unchecked("severity");
      hidden.groups = unchecked("group");
      store(STORAGE.filter, hidden);
      applyFilter();
    });
  });

  function applyFilter() {
    let count = 0;
    list.querySelectorAll(":scope > li").forEach((item) => {
      const out = hidden.severities.includes(item.dataset.severity) || hidden.groups.includes(item.dataset.group);
      item.hidden = out;
      if (out) count += 1;
    });
    filteredOut.hidden = count === 0;
    filteredOut.textContent = `${count} alert${count === 1 ? "" : "s"} hidden by the filter.`;
    const filtering = hidden.severities.length + hidden.groups.length;
    document.getElementById("filter-summary").textContent = filtering ? `(${filtering} hidden)` : "(all shown)";
  }
  applyFilter();

  // --- the live stream -----------------------------------------------------------------------------

  function listen(newestId) {
    // After a dropped connection the browser reconnects by itself, sending Last-Event-ID. But an
    // answer other than 200 (Redis or the database briefly down, a proxy's 502) closes an
    // EventSource for good: then this opens a new one, from the newest notification seen.
    let lastId = newestId;
    const stream = new EventSource(`/api/v1/air-defense/stream/${lastId ? `?last_event_id=${lastId}` : ""}`);
    stream.onopen = () => { status.textContent = "Live"; status.className = "badge authorized"; };
    stream.onerror = () => {
      status.textContent = "Reconnecting…";
      status.className = "badge nonconforming";
      if (stream.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
      setTimeout(async () => {
        // An id the server does not know would be refused again (400): start from the inbox's newest.
        const known = lastId
          ? await fetch(`/api/v1/air-defense/notifications/${lastId}/`, { credentials: "same-origin" }).catch(() => null)
          : null;
        const from = known && known.status === 404 ? await loadInbox().catch(() => null) : lastId;
        listen(from || lastId);
      }, RECONNECT_MS);
    };
    settings.kinds.forEach((kind) => stream.addEventListener(kind, (event) => {
      const notification = JSON.parse(event.data);
      lastId = notification.id;
      const isNew = render(notification);
      if (isNew && (HOSTILE_KINDS.has(kind) || notification.severity === "critical")) beep();
      if (HOSTILE_KINDS.has(kind)) refreshHostileCount();
      if (kind.startsWith("track.")) refreshTracks();
      if (kind.startsWith("permit.")) refreshPermits();
      if (FOLLOWING_KINDS.has(kind)) refreshFollowing();
    }));
  }
  const FOLLOWING_KINDS = new Set(["track.contact_lost", "track.contact_regained", "track.hostile", "sensor.stale",
    "sensor.offline", "sensor.online", "swarm"]);

  // Without the inbox (network hiccup) the stream still starts: live alerts matter more than old ones.
  loadInbox().catch(() => null).then(listen);
  refreshPermits();
  loadTrails().then(refreshTracks);
  refreshFollowing();
  refreshHostileCount();
  setInterval(() => { refreshTracks(); refreshFollowing(); refreshHostileCount(); }, settings.track_refresh_ms);
  setInterval(refreshPermits, settings.permits_refresh_ms);

  window.AirspaceConsole = {
    map,
    showOnMap,
    // A feature's own buttons on each alert (see alertActions), on the alerts shown and those to come.
    addAlertAction(action) {
      alertActions.push(action);
      shown.forEach(({ item, notification }) => showActions(item, notification));
    },
  };
})();
