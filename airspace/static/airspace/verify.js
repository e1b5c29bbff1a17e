// The checkpoint's verification page (templates/permits/verify.html): checks a signed permit — a JWS
// compact token, EdDSA (Ed25519) — with the authority's public keys embedded in the page, in the
// browser (WebCrypto), so that it works with no network once loaded. Online, it also asks the
// service whether the permit was revoked since it was signed. docs/SIGNED_PERMITS.md.
(function () {
  "use strict";
  const root = document.getElementById("verify");
  const keys = Object.fromEntries(JSON.parse(document.getElementById("permit-public-keys").textContent).map((key) => [key.kid, key]));
  const $ = (id) => document.getElementById(id);

  function bytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(base64url.length / 4) * 4, "=");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }
  function json(base64url) {
    return JSON.parse(new TextDecoder().decode(bytes(base64url)));
  }

  async function verify(token) {
    const parts = token.trim().split(".");
    let header, claims;
    try {
      if (parts.length !== 3) throw new Error("not three parts");
      header = json(parts[0]);
      claims = json(parts[1]);
    } catch (error) {
      return { status: "INVALID", reason: "This is not a signed permit." };
    }
    const jwk = keys[header.kid];
    if (!jwk || header.alg !== "EdDSA") {
      return { status: "INVALID", reason: "Signed with a key this page does not know. Open the page again online for new keys." };
    }
    let valid = false;
    try {
      const key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
      valid = await crypto.subtle.verify({ name: "Ed25519" }, key, bytes(parts[2]), new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
    } catch (error) {
      valid = false;
    }
    if (!valid || claims.iss !== root.dataset.issuer) {
      return { status: "INVALID", reason: "The signature does not match: the code was altered or forged." };
    }
    const now = Date.now() / 1000;
    if (now < claims.nbf) return { status: "NOT YET VALID", reason: "The permitted window has not started.", claims };
    if (now >= claims.exp) return { status: "EXPIRED", reason: "The permitted window has ended.", claims };
    return { status: "VALID", reason: "Signed by the authority; inside its window.", claims };
  }

  function iso(seconds) {
    return new Date(seconds * 1000).toISOString();
  }

  function show(result) {
    $("verdict").dataset.status = result.status;
    $("verdict-word").textContent = result.status;
    $("verdict-reason").textContent = result.reason;
    const claims = result.claims;
    $("permit").hidden = !claims;
    if (!claims) return;
    $("claim-ref").textContent = claims.ref;
    $("claim-op").textContent = claims.op;
    $("claim-ac").textContent = claims.ac;
    $("claim-rid").textContent = claims.rid || "—";
    $("claim-purpose").textContent = claims.purpose || "—";
    $("claim-from").replaceChildren(AirspaceTime.element(iso(claims.nbf)));
    $("claim-until").replaceChildren(AirspaceTime.element(iso(claims.exp)));
    $("claim-alt").textContent = `${Math.round(claims.alt[0])}–${Math.round(claims.alt[1])} m above ground`;
    $("claim-by").textContent = claims.by;
    drawVolume(claims.vol);
  }

  // The volume on a plain background (no map tiles offline): the polygon, or the circle, to scale.
  function drawVolume(volume) {
    const svg = $("volume");
    const ns = "http://www.w3.org/2000/svg";
    svg.replaceChildren();
    const area = volume && volume.area;
    if (!area) return;
    let ring;
    let radiusDeg = 0;
    if (area.type === "Point") {
      const [lon, lat] = area.coordinates;
      radiusDeg = volume.radius_m / 111320;
      ring = [[lon - radiusDeg, lat - radiusDeg], [lon + radiusDeg, lat + radiusDeg]];
    } else {
      ring = area.coordinates[0];
    }
    const midLat = ring.reduce((sum, p) => sum + p[1], 0) / ring.length;
    const scaleX = Math.cos((midLat * Math.PI) / 180);
    const xs = ring.map((p) => p[0] * scaleX), ys = ring.map((p) => p[1]);
    const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
    const span = Math.max(maxX - minX, maxY - minY) || 1;
    const project = (x, y) => [10 + ((x - minX) / span) * 180, 190 - ((y - minY) / span) * 180];
    let shape;
    if (area.type === "Point") {
      shape = document.createElementNS(ns, "circle");
      const [cx, cy] = project(area.coordinates[0] * scaleX, area.coordinates[1]);
      shape.setAttribute("cx", cx);
      shape.setAttribute("cy", cy);
      shape.setAttribute("r", (radiusDeg / span) * 180);
    } else {
      shape = document.createElementNS(ns, "polygon");
      shape.setAttribute("points", ring.map((p) => project(p[0] * scaleX, p[1]).join(",")).join(" "));
    }
    shape.setAttribute("fill", "rgba(31,95,168,.25)");
    shape.setAttribute("stroke", "#1f5fa8");
    shape.setAttribute("stroke-width", "2");
    svg.append(shape);
    const centre = area.type === "Point" ? area.coordinates : [(Math.min(...ring.map((p) => p[0])) + Math.max(...ring.map((p) => p[0]))) / 2, (minY + maxY) / 2];
    const size = area.type === "Point" ? `a circle of ${Math.round(volume.radius_m)} m` : `a polygon about ${Math.round((span * 111320))} m across`;
    $("volume-note").textContent = `The permitted area: ${size} around ${centre[1].toFixed(5)}, ${centre[0].toFixed(5)}${volume.simplified ? " (drawn slightly larger than approved, to fit the code)" : ""}.`;
  }

  // Online, the service says whether the permit was revoked since it was signed; offline, the page
  // says it could not ask.
  async function checkRevocation(token, result) {
    const cell = $("revocation");
    if (!result.claims) return;
    if (!navigator.onLine) {
      cell.textContent = "Not checked: no network. The signature and window were checked on this phone.";
      return;
    }
    cell.textContent = "Checking…";
    try {
      const response = await fetch(`${root.dataset.revocationUrl}?token=${encodeURIComponent(token)}`, { credentials: "omit", cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      const answer = await response.json();
      if (answer.status === "revoked") {
        show({ status: "REVOKED", reason: "The authority revoked this permit after signing it.", claims: result.claims });
        cell.textContent = "REVOKED by the authority: this permit no longer stands.";
      } else {
        cell.textContent = `Not revoked (checked online ${AirspaceTime.format(new Date().toISOString(), "time")}).`;
      }
    } catch (error) {
      cell.textContent = "Not checked: the service could not be reached. The signature and window were checked on this phone.";
    }
  }

  async function check(token) {
    token = (token || "").trim();
    if (!token) return;
    $("token").value = token;
    const result = await verify(token);
    show(result);
    await checkRevocation(token, result);
  }

  function decodeImage(source, width, height) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(source, 0, 0, width, height);
    const image = context.getImageData(0, 0, width, height);
    return jsQR(image.data, width, height);
  }

  $("check").addEventListener("click", () => check($("token").value));
  $("photo").addEventListener("change", async () => {
    const file = $("photo").files[0];
    if (!file) return;
    const bitmap = await createImageBitmap(file);
    const code = decodeImage(bitmap, bitmap.width, bitmap.height);
    if (code) {
      await check(code.data);
    } else {
      show({ status: "INVALID", reason: "No QR code could be read from this photo. Try again closer, or scan with the camera." });
    }
    $("photo").value = "";
  });

  let stream = null;
  $("scan").addEventListener("click", async () => {
    const video = $("camera");
    if (stream) return;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      show({ status: "", reason: "The camera is not available: read a photo or paste the text instead." });
      $("verdict-word").textContent = "No camera";
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const scanFrame = async () => {
      if (!stream) return;
      if (video.readyState >= 2) {
        const code = decodeImage(video, video.videoWidth, video.videoHeight);
        if (code) {
          stream.getTracks().forEach((track) => track.stop());
          stream = null;
          video.hidden = true;
          await check(code.data);
          return;
        }
      }
      requestAnimationFrame(scanFrame);
    };
    requestAnimationFrame(scanFrame);
  });

  // Kept for offline use: the service worker holds this page and its files (scope /verify/).
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.workerUrl, { scope: root.dataset.workerUrl.replace(/sw\.js$/, "") }).catch(() => {});
  }
  // A link such as /verify/#<token> checks at once.
  const checkHash = () => {
    if (location.hash.length > 1) check(decodeURIComponent(location.hash.slice(1)));
  };
  window.addEventListener("hashchange", checkHash);
  checkHash();
})();
