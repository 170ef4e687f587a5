// Polytope's service worker: the app works offline once it has been opened, and a bad or
// half-finished deploy never strands a page.
// - Scope: the site's root (`/`, or `/REPO/` on a GitHub Pages project site). Only requests under
//   it are handled, and every cache name carries it, so other apps on the same origin are
//   neither served nor touched.
// - The app shell (pages, script, wasm, styles): network first. On a network error, a timeout
//   (TIMEOUT_MS without an answer) or a 404/5xx, the cached copy: from this build's cache, else
//   from the previous build's (kept one deploy long), so a page whose HTML still names the old
//   wasm loads it after a deploy removed it. A navigation answered 404 with Polytope's own
//   404.html (how GitHub Pages serves deep links) is the app, not an error.
// - Data files: data/PATH?v=CHECKSUM is immutable (a changed file gets a new address), so it is
//   served from the cache first. The page puts a data file into the cache only after its length
//   and checksum passed (src/features_data.rs), so a corrupted download is never kept.
//   data/*.json (no checksum in the address): network first, the cached copy as above.
// - Versions: tools/finalize-dist.mjs writes the build's id and its shell files below. A new
//   deploy is a new sw.js: it installs, takes over open pages (which offer a reload,
//   src/offline.rs) and deletes the caches of builds older than the previous one.
const BUILD = 'dev'; // polytope:build
const PRECACHE = []; // polytope:precache
const TIMEOUT_MS = 4000;

const SCOPE = new URL(self.registration.scope).pathname;
const ROOT = new URL(SCOPE, self.location.origin).href;
const SHELL_PREFIX = `polytope-shell-v2:${SCOPE}:`;
const SHELL = SHELL_PREFIX + BUILD;
const DATA = `polytope-data-v2:${SCOPE}`;
// The builds installed here, oldest first (a JSON list in its own cache).
const META = `polytope-meta-v2:${SCOPE}`;
const BUILDS = new URL('polytope-builds.json', ROOT).href;
// The caches of the first version, which knew only the root of a domain.
const LEGACY = SCOPE === '/' ? ['polytope-shell-v1', 'polytope-data-v1'] : [];

async function readBuilds() {
  const hit = await (await caches.open(META)).match(BUILDS);
  return hit ? hit.json().catch(() => []) : [];
}

async function writeBuilds(builds) {
  await (await caches.open(META)).put(BUILDS, new Response(JSON.stringify(builds.slice(-8))));
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      await writeBuilds([...(await readBuilds()).filter((b) => b !== BUILD), BUILD]);
      const cache = await caches.open(SHELL);
      await Promise.all(
        [ROOT, ...PRECACHE.map((p) => new URL(p, ROOT).href)].map(async (url) => {
          try {
            const response = await fetch(url, { cache: 'no-cache' });
            if (response.ok) await cache.put(url, response);
          } catch (_) {
            // Offline while installing: the shell is cached as it is fetched later.
          }
        }),
      );
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // Keep this build's shell, the one installed before it (a page may still name its
      // files) and any installed after it (a newer deploy on its way); delete the rest of ours.
      // The names first: a newer install records its build before it creates its cache, so
      // every cache seen here is in the list read next (and a newer one is kept).
      const names = await caches.keys();
      const builds = await readBuilds();
      const at = builds.indexOf(BUILD);
      const keep = new Set(at < 0 ? [BUILD] : builds.slice(Math.max(0, at - 1)));
      const doomed = names.filter(
        (n) => (n.startsWith(SHELL_PREFIX) && !keep.has(n.slice(SHELL_PREFIX.length))) || LEGACY.includes(n),
      );
      await Promise.all(doomed.map((n) => caches.delete(n)));
      await pruneData();
      await self.clients.claim();
    })(),
  );
});

/// Keeps one copy per data file: the newest checksum of each path.
async function pruneData() {
  const cache = await caches.open(DATA);
  const newest = new Map();
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    const previous = newest.get(url.pathname);
    if (previous && previous.url !== request.url) await cache.delete(previous);
    newest.set(url.pathname, request);
  }
}

/// This scope's shell caches, this build's first.
async function shellCaches() {
  const names = (await caches.keys()).filter((n) => n.startsWith(SHELL_PREFIX) && n !== SHELL);
  return [SHELL, ...names.reverse()];
}

async function cachedCopy(request, cacheName, navigation) {
  const names = cacheName === SHELL ? await shellCaches() : [cacheName];
  const keys = navigation ? [request, ROOT] : [request];
  for (const key of keys) {
    for (const name of names) {
      const cache = await caches.open(name);
      const hit = await cache.match(key, { ignoreSearch: navigation });
      if (hit) return hit;
    }
  }
  return undefined;
}

/// A response the page can use as it is, and whether to keep a copy.
async function judge(response, navigation) {
  if (response.status === 200 && response.type === 'basic') return { use: true, keep: true };
  if (navigation && response.status === 404) {
    const text = await response.clone().text();
    if (text.includes('name="polytope-build"')) return { use: true, keep: false };
  }
  return { use: false, keep: false };
}

async function networkFirst(request, cacheName, { navigation = false, keep = true } = {}) {
  const network = fetch(request).then(
    (response) => ({ response }),
    (error) => ({ error }),
  );
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ timeout: true }), TIMEOUT_MS);
  });
  const first = await Promise.race([network, timeout]);
  clearTimeout(timer);
  if (first.response) {
    const verdict = await judge(first.response, navigation);
    if (verdict.use) {
      if (keep && verdict.keep) {
        try {
          const cache = await caches.open(cacheName);
          await cache.put(request, first.response.clone());
          if (navigation) await cache.put(ROOT, first.response.clone());
        } catch (_) {
          // Caching is best effort (quota).
        }
      }
      return first.response;
    }
  }
  const cached = await cachedCopy(request, cacheName, navigation);
  if (cached) return cached;
  // No copy: the network's answer as it is, however late or bad.
  const last = first.timeout ? await network : first;
  if (last.response) return last.response;
  throw last.error;
}

async function cacheFirst(request) {
  const cache = await caches.open(DATA);
  const cached = await cache.match(request);
  if (cached) return cached;
  return fetch(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) return;
  const path = url.pathname.slice(SCOPE.length);
  if (path.startsWith('data/')) {
    if (url.searchParams.has('v')) {
      event.respondWith(cacheFirst(request));
    } else {
      // The page keeps the JSON files it has checked; the worker only falls back to them.
      event.respondWith(networkFirst(request, DATA, { keep: false }));
    }
    return;
  }
  event.respondWith(networkFirst(request, SHELL, { navigation: request.mode === 'navigate' }));
});
