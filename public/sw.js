// Clinic Scheduler's service worker (served at /sw.js, scope "/").
//
// It keeps the app's shell only: the offline page and the content-hashed bundle, in a
// cache named by VERSION (`cargo xtask build` fills VERSION and PRECACHE in; a new
// version installs a new cache and drops the old one). It never stores a page or a
// server answer: those are `Cache-Control: no-store`, and a navigation goes to the
// network every time. Only when the network fails does it answer with the offline page,
// which shows what the app itself saved for the signed-in patient (the per-user
// "visits-…" cache, written and emptied by the app, never by this worker).
const VERSION = "dev";
const PRECACHE = ["/offline.html", "/offline.js", "/favicon.svg"];
const SHELL = "shell-" + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("shell-") && name !== SHELL) {
          await caches.delete(name);
        }
      }
      // No navigation preload: with it, Chromium sometimes failed an offline navigation
      // outright instead of letting this worker answer it.
      if (self.registration.navigationPreload) {
        await self.registration.navigationPreload.disable();
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(
      (async () => {
        try {
          return await fetch(request);
        } catch (_offline) {
          const page = await caches.match("/offline.html", { cacheName: SHELL });
          return page || Response.error();
        }
      })(),
    );
    return;
  }
  // The shell's own files: from the versioned cache, else the network. Everything else
  // (server functions, downloads) passes through untouched.
  if (PRECACHE.includes(url.pathname)) {
    event.respondWith(
      caches
        .match(request, { cacheName: SHELL })
        .then((hit) => hit || fetch(request)),
    );
  }
});
