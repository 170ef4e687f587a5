// Polytope's service worker: the app works offline once it has been opened.
// - The app shell (pages, script, wasm, styles): network first, the cached copy when offline.
// - Data files: /data/PATH?v=CHECKSUM is immutable (a changed file gets a new address), so it
//   is served from the cache first. The page itself puts a data file into the cache only after
//   its length and checksum passed (src/features_data.rs), so a corrupted download is never kept.
// - /data/*.json (no checksum in the address): network first, the cached copy when offline.
const SHELL = 'polytope-shell-v1';
const DATA = 'polytope-data-v1';

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      try {
        const response = await fetch('/', { cache: 'no-cache' });
        if (response.ok) {
          const html = await response.clone().text();
          await cache.put('/', response);
          const assets = new Set();
          for (const m of html.matchAll(/["'](\/[A-Za-z0-9._\-\/]+\.(?:js|wasm|css|svg))["']/g)) assets.add(m[1]);
          await Promise.all([...assets].map((a) => cache.add(a).catch(() => {})));
        }
      } catch (_) {
        // Offline while installing: the shell is cached as it is fetched later.
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

async function networkFirst(request, cacheName, fallback) {
  try {
    const response = await fetch(request);
    if (response.status === 200 && response.type === 'basic') {
      try {
        const cache = await caches.open(cacheName);
        await cache.put(request, response.clone());
        if (request.mode === 'navigate') await cache.put('/', response.clone());
      } catch (_) {
        // Caching is best effort (quota, opaque bodies).
      }
    }
    return response;
  } catch (err) {
    const cached = (await caches.match(request)) || (fallback && (await caches.match(fallback)));
    if (cached) return cached;
    throw err;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: DATA });
  if (cached) return cached;
  return fetch(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/data/')) {
    if (url.searchParams.has('v')) {
      event.respondWith(cacheFirst(request));
    } else {
      event.respondWith(networkFirst(request, DATA, null));
    }
    return;
  }
  event.respondWith(networkFirst(request, SHELL, request.mode === 'navigate' ? '/' : null));
});
