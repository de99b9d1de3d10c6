/* {{ request.tenant.name|escapejs }}: the app shell and the offline page, nothing else (tenant_apps/portal/pwa.py).
   Pages, the API and webhooks always go to the network: nothing behind a login is stored on the device. */
"use strict";
const CACHE = "{{ cache_name|escapejs }}";
const SHELL = {{ shell|safe }};
const OFFLINE = "/offline";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => Promise.all(SHELL.map((url) => cache.add(new Request(url, {credentials: "omit"})).catch(() => null))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("nexustop-shell-") && key !== CACHE)
        .map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/webhook/")) return;
  if (request.mode === "navigate") {
    // A page: always the network; the stored offline page only when there is no network.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
