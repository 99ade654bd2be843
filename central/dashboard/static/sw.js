// The technician page's service worker: it keeps the page's own files (the shell) so that the
// page opens where there is no signal (a lift, a basement plant room). Only the shell: answers
// from central's API always come from central (or fail, and the page says it is offline), so an
// old list of orders is never shown as if it were now.
"use strict";

const SHELL = "frontdesk-tech-shell-v1";
const PAGE = "/dashboard/tech";
const FILES = [
  PAGE,
  "/dashboard/static/app.css",
  "/dashboard/static/tech.css",
  "/dashboard/shared/toolkit.js",
  "/dashboard/static/i18n.js",
  "/dashboard/static/app.js",
  "/dashboard/static/tech-outbox.js",
  "/dashboard/static/tech-media.js",
  "/dashboard/static/tech.js",
];
// A weak signal can hang a request for a long time; after this the kept copy is used.
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("frontdesk-tech-") && k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  // The page under any query (?claim=..., ?ticket=...) is the same file.
  const key = req.mode === "navigate" ? (url.pathname === PAGE ? PAGE : null) : (FILES.includes(url.pathname) ? url.pathname : null);
  if (!key) return;  // the API and everything else: straight to the network, never kept
  event.respondWith(networkFirst(req, key));
});

// The network's copy when it comes in time (and kept for next time), else the kept one.
async function networkFirst(req, key) {
  const fresh = fetch(req).then((res) => {
    if (res.ok && !res.redirected) {
      const copy = res.clone();
      caches.open(SHELL).then((cache) => cache.put(key, copy));
    }
    return res;
  });
  fresh.catch(() => null);  // a failure after the kept copy was used is nobody's to hear
  const late = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_WAIT_MS));
  try {
    const first = await Promise.race([fresh, late]);
    if (first) return first;
  } catch (err) { /* no signal: the kept copy */ }
  const kept = await caches.match(key);
  if (kept) return kept;
  return fresh;
}
