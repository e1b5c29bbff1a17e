// The verification page's service worker: the page and its files are kept for when the checkpoint's
// phone has no network. Online, the network answers first (so a key rotation arrives at once) and
// the copy is renewed; offline, the copy answers. The revocation check (/api/) is never cached.
const CACHE = "verify-permit-{{ version }}";
const ASSETS = {{ assets|safe }};
// Any other static file the page loads (a script base.html gains later) is kept as it passes too.
const STATIC = {{ static_prefix|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith("verify-permit-") && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !(ASSETS.includes(url.pathname) || url.pathname.startsWith(STATIC))) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname)),
  );
});
