// The air defense console: tracks on the map, refreshed every few seconds and at once when a
// track notification arrives; notifications from the live stream (Server-Sent Events), newest
// first, hostile ones prominent, each acknowledged with one click. Delivery is at least once, so
// notifications are de-duplicated by id.
(function () {
  "use strict";
  const settings = JSON.parse(document.getElementById("console-config").textContent);
  const map = AirspaceMap.createMap(document.getElementById("console-map"));
  settings.zones.forEach((zone) => AirspaceMap.addZone(map, zone));
  const trackLayer = L.layerGroup().addTo(map);
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
    if (payload.permit) {
      const permit = payload.permit;
      return `${permit.reference} · ${permit.operator} · ${permit.aircraft.serial_number} · ` +
        `${permit.min_altitude_m}–${permit.max_altitude_m} m · ${permit.starts_at.slice(0, 16)} → ${permit.ends_at.slice(0, 16)} UTC`;
    }
    if (payload.track) {
      const track = payload.track;
      const where = `${track.position.lat.toFixed(5)}, ${track.position.lon.toFixed(5)} at ${Math.round(track.position.altitude_m)} m`;
      const who = payload.aircraft ? ` · ${payload.aircraft.serial_number} of ${payload.aircraft.operator}` : " · no registered aircraft";
      const zone = payload.zone ? ` · inside ${payload.zone.kind} zone ${payload.zone.name}` : "";
      return `${track.classification} track ${track.sensor_track_id} (${track.sensor})${who} · ${where}${zone}`;
    }
    return "";
  }

  const KIND_TITLES = {
    "track.hostile": "HOSTILE TRACK",
    "track.nonconforming": "Nonconforming track",
    "permit.approved": "Permit approved",
    "permit.activated": "Permit active",
    "permit.completed": "Permit completed",
    "permit.cancelled": "Permit cancelled",
    "permit.revoked": "Permit revoked",
  };

  function render(notification) {
    if (shown.has(notification.id)) return;
    const item = document.createElement("li");
    const hostile = notification.kind === "track.hostile";
    item.className = `${notification.severity}${hostile ? " hostile" : ""}`;
    item.dataset.id = notification.id;
    item.dataset.kind = notification.kind;
    item.dataset.createdAt = String(Date.parse(notification.created_at));
    const title = document.createElement("div");
    title.innerHTML = `<span class="kind"></span> <span class="badge"></span> <span class="muted when"></span>`;
    title.querySelector(".kind").textContent = KIND_TITLES[notification.kind] || notification.kind;
    title.querySelector(".badge").textContent = notification.severity;
    title.querySelector(".badge").classList.add(`severity-${notification.severity}`);
    title.querySelector(".when").textContent = new Date(notification.created_at).toISOString().slice(11, 19) + " UTC";
    const body = document.createElement("div");
    body.className = "what";
    body.textContent = describe(notification);
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
        L.circleMarker([track.last_lat, track.last_lon], {
          radius: track.hostile ? 9 : 6, color: AirspaceMap.COLOURS[track.classification], weight: 2, fillOpacity: 0.8,
          className: `track ${track.classification}`,
        }).bindTooltip(AirspaceMap.textLabel(
          `${track.sensor_track_id} · ${track.classification} · ${Math.round(track.last_altitude_m)} m`))
          .addTo(trackLayer);
      });
      document.getElementById("track-count").textContent = String(page.count);
    } catch (error) {
      /* the next refresh tries again */
    }
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
    }));
  }

  // Without the inbox (network hiccup) the stream still starts: live alerts matter more than old ones.
  loadInbox().catch(() => null).then(listen);
  refreshTracks();
  setInterval(refreshTracks, settings.track_refresh_ms);
})();
