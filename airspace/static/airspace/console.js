// The air defense console: tracks on the map, refreshed every few seconds and at once when a
// track notification arrives; notifications from the live stream (Server-Sent Events), newest
// first, hostile ones prominent, each acknowledged with one click. Delivery is at least once, so
// notifications are de-duplicated by id. Flight following beside them: the permitted drones that
// went silent (where they were last seen, how long ago), the sensors off the air with what they
// covered, and the swarms — refreshed with the tracks and at once when such a notification arrives.
(function () {
  "use strict";
  const settings = JSON.parse(document.getElementById("console-config").textContent);
  const map = AirspaceMap.createMap(document.getElementById("console-map"));
  settings.zones.forEach((zone) => AirspaceMap.addZone(map, zone));
  const coverageLayer = L.layerGroup().addTo(map);
  const swarmLayer = L.layerGroup().addTo(map);
  const trackLayer = L.layerGroup().addTo(map);
  const lostLayer = L.layerGroup().addTo(map);
  const list = document.getElementById("notifications");
  const status = document.getElementById("stream-status");
  // How long to wait before opening a new stream when the server refused one.
  const RECONNECT_MS = 3000;
  const shown = new Map(); // notification id -> <li>

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function describe(notification) {
    const payload = notification.payload || {};
    // A track's payload names its permit too (by reference only): the permit form is a permit's own.
    if (payload.permit && payload.permit.aircraft) {
      const permit = payload.permit;
      return `${permit.reference} · ${permit.operator} · ${permit.aircraft.serial_number} · ` +
        `${permit.min_altitude_m}–${permit.max_altitude_m} m · ${permit.starts_at.slice(0, 16)} → ${permit.ends_at.slice(0, 16)} UTC`;
    }
    if (payload.unit && payload.incident) {
      return `${payload.unit.name} sent to incident ${payload.incident.id} by ${payload.assigned_by}`;
    }
    if (payload.swarm) {
      const swarm = payload.swarm;
      const ids = swarm.tracks.map((track) => track.sensor_track_id).join(", ");
      return `${swarm.size} hostile tracks within ${Math.round(swarm.radius_m)} m of ` +
        `${swarm.centre.lat.toFixed(5)}, ${swarm.centre.lon.toFixed(5)}: ${ids}`;
    }
    if (payload.sensor) {
      const sensor = payload.sensor;
      const silent = sensor.silent_s !== null ? ` · silent ${duration(sensor.silent_s)}` : "";
      const zones = (payload.prohibited_zones_covered || []).map((zone) => zone.name);
      const covers = zones.length ? ` · covered prohibited zone ${zones.join(", ")}` : "";
      const tracks = payload.tracks_last_seen ? ` · last saw ${payload.tracks_last_seen} active track(s)` : "";
      return `${sensor.name} (${sensor.kind}) ${sensor.previous_health} → ${sensor.health}${silent}${covers}${tracks}`;
    }
    if (payload.track) {
      const track = payload.track;
      const where = `${track.position.lat.toFixed(5)}, ${track.position.lon.toFixed(5)} at ${Math.round(track.position.altitude_m)} m`;
      const who = payload.aircraft ? ` · ${payload.aircraft.serial_number} of ${payload.aircraft.operator}` : " · no registered aircraft";
      const zone = payload.zone ? ` · inside ${payload.zone.kind} zone ${payload.zone.name}` : "";
      return `${track.classification} track ${track.sensor_track_id} (${track.sensor})${who} · ${where}${zone}${following(payload)}`;
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

  function duration(seconds) {
    const total = Math.max(0, Math.round(seconds));
    if (total < 60) return `${total} s`;
    if (total < 3600) return `${Math.floor(total / 60)} min ${total % 60} s`;
    return `${Math.floor(total / 3600)} h ${Math.floor((total % 3600) / 60)} min`;
  }

  function utc(iso) {
    return new Date(iso).toISOString().slice(11, 19) + " UTC";
  }

  const KIND_TITLES = {
    "track.hostile": "HOSTILE TRACK",
    "track.nonconforming": "Nonconforming track",
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
  const HOSTILE_KINDS = new Set(["track.hostile", "swarm"]);
  const FOLLOWING_KINDS = new Set(["track.contact_lost", "track.contact_regained", "track.hostile", "sensor.stale",
    "sensor.offline", "sensor.online", "swarm"]);

  function render(notification) {
    if (shown.has(notification.id)) return;
    const item = document.createElement("li");
    const hostile = HOSTILE_KINDS.has(notification.kind);
    item.className = `${notification.severity}${hostile ? " hostile" : ""}`;
    item.dataset.id = notification.id;
    item.dataset.kind = notification.kind;
    item.dataset.createdAt = String(Date.parse(notification.created_at));
    const title = document.createElement("div");
    title.innerHTML = `<span class="kind"></span> <span class="badge"></span> <span class="muted when"></span>`;
    const escalated = notification.payload && notification.payload.escalation;
    title.querySelector(".kind").textContent =
      (KIND_TITLES[notification.kind] || notification.kind) + (escalated ? " (escalated)" : "");
    title.querySelector(".badge").textContent = notification.severity;
    title.querySelector(".badge").classList.add(`severity-${notification.severity}`);
    title.querySelector(".when").textContent = new Date(notification.created_at).toISOString().slice(11, 19) + " UTC";
    const body = document.createElement("div");
    body.className = "what";
    body.textContent = describe(notification);
    // The incident the alert opened or joined (airspace/incidents): where air defense works it.
    if (notification.payload && notification.payload.incident) {
      const link = document.createElement("a");
      link.href = `/incidents/${Number(notification.payload.incident.id)}/`;
      link.className = "incident-link";
      link.textContent = ` Incident ${Number(notification.payload.incident.id)}`;
      body.append(link);
    }
    const action = document.createElement("div");
    item.append(title, body, action);
    showAcknowledgement(item, action, notification);
    // Newest first, by creation time (the stream may deliver out of order).
    const created = Date.parse(notification.created_at);
    const before = Array.from(list.children).find((other) => Number(other.dataset.createdAt) < created);
    list.insertBefore(item, before || null);
    shown.set(notification.id, item);
  }

  function showAcknowledgement(item, action, notification) {
    action.textContent = "";
    if (notification.acknowledged_at) {
      item.classList.add("acknowledged");
      action.innerHTML = `<span class="muted acknowledged-by"></span>`;
      action.firstChild.textContent = `Acknowledged by ${notification.acknowledged_by || "someone"}`;
      return;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary acknowledge";
    button.textContent = "Acknowledge";
    button.addEventListener("click", async () => {
      button.disabled = true;
      const response = await fetch(`/api/v1/air-defense/notifications/${notification.id}/acknowledge/`, {
        method: "POST", headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }, credentials: "same-origin",
      });
      if (response.ok) {
        showAcknowledgement(item, action, await response.json());
      } else {
        button.disabled = false;
        status.textContent = `Could not acknowledge (HTTP ${response.status}).`;
      }
    });
    action.appendChild(button);
  }

  // The newest notifications from the inbox; returns the id of the newest, from which the stream
  // replays, so nothing created between the two is missed.
  async function loadInbox() {
    const response = await fetch("/api/v1/air-defense/notifications/?limit=100", { credentials: "same-origin" });
    if (!response.ok) return null;
    const page = await response.json();
    page.results.slice().reverse().forEach(render);
    return page.results.length ? page.results[0].id : null;
  }

  async function refreshTracks() {
    try {
      const response = await fetch("/api/v1/tracks/?active=true&limit=1000", { credentials: "same-origin" });
      if (!response.ok) return;
      const page = await response.json();
      trackLayer.clearLayers();
      page.results.forEach((track) => {
        const notes = (track.escalated ? " · ESCALATED" : "") +
          (track.sensor_offline ? ` · last seen by ${track.sensor}, now offline` : "");
        L.circleMarker([track.last_lat, track.last_lon], {
          radius: track.hostile ? 9 : 6, color: AirspaceMap.COLOURS[track.classification], weight: 2, fillOpacity: 0.8,
          dashArray: track.sensor_offline ? "3 3" : null,
          className: `track ${track.classification}${track.escalated ? " escalated" : ""}`,
        }).bindTooltip(AirspaceMap.textLabel(
          `${track.sensor_track_id} · ${track.classification} · ${Math.round(track.last_altitude_m)} m${notes}`))
          .addTo(trackLayer);
      });
      document.getElementById("track-count").textContent = String(page.count);
    } catch (error) {
      /* the next refresh tries again */
    }
  }

  // --- flight following: lost contacts, sensors off the air, swarms ----------------------------

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

  async function fetchResults(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.json()).results;
  }

  async function refreshFollowing() {
    try {
      const [lost, sensors, swarms] = await Promise.all([
        fetchResults("/api/v1/tracks/?contact_lost=true&limit=500"),
        fetchResults("/api/v1/sensors/?health=stale&health=offline&active=true&limit=500"),
        fetchResults("/api/v1/swarms/?active=true&limit=100"),
      ]);
      showLost(lost);
      showSensors(sensors);
      showSwarms(swarms);
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
        `${duration((now - Date.parse(track.last_observed_at)) / 1000)} ago (${utc(track.last_observed_at)}) at ` +
        `${track.last_lat.toFixed(5)}, ${track.last_lon.toFixed(5)}, ${Math.round(track.last_altitude_m)} m` +
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
      }).bindTooltip(AirspaceMap.textLabel(`${sensor.name} ${sensor.health}: what it covered is not seen`))
        .addTo(coverageLayer);
    });
    fill(sensorList, "sensor-count", sensors.map((sensor) => ({
      name: sensor.name,
      details: `${sensor.health} · ${sensor.kind} · silent ` +
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
      details: `within ${Math.round(swarm.radius_m)} m of ${swarm.centre_lat.toFixed(5)}, ${swarm.centre_lon.toFixed(5)} ` +
        `since ${utc(swarm.detected_at)} · ${swarm.tracks.map((track) => track.sensor_track_id).join(", ")}`,
      critical: true,
      data: { swarm: String(swarm.id) },
    })), "No swarm.");
  }

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
      render(notification);
      if (kind.startsWith("track.")) refreshTracks();
      if (FOLLOWING_KINDS.has(kind)) refreshFollowing();
    }));
  }

  // Without the inbox (network hiccup) the stream still starts: live alerts matter more than old ones.
  loadInbox().catch(() => null).then(listen);
  refreshTracks();
  refreshFollowing();
  setInterval(() => { refreshTracks(); refreshFollowing(); }, settings.track_refresh_ms);
})();
