// Finishes a Trunk build, as Trunk's post-build hook (in the staging directory, before it
// replaces dist/), and re-targets a finished build to another path or site without rebuilding.
//
// Trunk writes every address relative to the page (`public_url = "./"`); the <base href> below
// anchors them. So the built files are the same whatever path the site lives at, and only the
// HTML files name it: re-targeting rewrites them and nothing else.
//
//  1. Content-Security-Policy: the sha256 of every inline <script> of index.html in place of
//     INLINE_SCRIPT_HASHES (so no 'unsafe-inline').
//  2. The build's id: <meta name="polytope-build"> in the page, and in sw.js with the list of the
//     shell's files to precache (a new deploy is a new sw.js: src/offline.rs, public/sw.js).
//  3. <base href="PUBLIC_URL">: the site's absolute root path, `/` by default.
//  4. One static entry per route of tools/site-routes.json (generated from src/site.rs): the
//     page with that route's <title>, description, Open Graph and Twitter card tags, written where
//     static hosts serve it with status 200: `toy.html` for /toy (GitHub Pages, Netlify and
//     Cloudflare Pages serve NAME.html at /NAME), plus `tour/index.html` for a route with
//     children. Tags that need absolute URLs (og:url, og:image, canonical) only with a site URL.
//  5. 404.html, a copy of index.html: static hosts serve it for unknown paths (GitHub Pages does
//     under a project site too), so deep links like /features/a-64/3 work; and .nojekyll, so
//     GitHub Pages publishes the files as they are.
//
// As the hook, the path and site come from POLYTOPE_PUBLIC_URL and POLYTOPE_SITE_URL (set by
// `./dev build --public-url /PATH/ --site-url https://HOST/PATH/`), else from an absolute
// TRUNK_PUBLIC_URL (`trunk build --public-url /PATH/`), else `/`.
// As a command (steps 3-5 on a finished build; the end-to-end tests use it to publish one build
// under /polytope/):
//   node tools/finalize-dist.mjs --dir dist [--public-url /PATH/] [--site-url https://HOST/PATH/]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUTES_FILE = join(dirname(fileURLToPath(import.meta.url)), 'site-routes.json');
const META_START = /<!-- polytope:meta[\s\S]*?-->/;
const META_BLOCK = /<!-- polytope:meta[\s\S]*?<!-- \/polytope:meta -->/;

/// `/PATH/` from `PATH`, `/PATH` or `/PATH/`; throws on anything but a plain absolute path.
export function normalizePublicUrl(value) {
  const v = (value ?? '').trim();
  if (v === '' || v === '/') return '/';
  if (!v.startsWith('/') || v.startsWith('//')) {
    throw new Error(`the public URL must be an absolute path like /polytope/ (got ${JSON.stringify(value)})`);
  }
  if (!/^[A-Za-z0-9._~\-/]+$/.test(v)) {
    throw new Error(`the public URL may hold letters, digits and - . _ ~ / only (got ${JSON.stringify(value)})`);
  }
  return `/${v.replace(/^\/+|\/+$/g, '')}/`.replace(/\/+/g, '/');
}

/// `https://HOST/PATH/` (with a trailing slash); throws unless http(s).
export function normalizeSiteUrl(value) {
  if (!value) return null;
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`the site URL must be an absolute URL like https://user.github.io/polytope/ (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`the site URL must be http(s): ${value}`);
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

const escapeAttr = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeText = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/// Width and height of a PNG (from its IHDR chunk), or null.
function pngSize(file) {
  try {
    const b = readFileSync(file);
    if (b.length < 24 || b.toString('latin1', 12, 16) !== 'IHDR') return null;
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  } catch {
    return null;
  }
}

/// The tags of one route.
export function metaBlock(route, { siteUrl, dir, siteName = 'Polytope' }) {
  const lines = [
    `<title>${escapeText(route.title)}</title>`,
    `<meta name="description" content="${escapeAttr(route.description)}" />`,
    `<meta property="og:type" content="website" />`,
    `<meta property="og:site_name" content="${escapeAttr(siteName)}" />`,
    `<meta property="og:title" content="${escapeAttr(route.title)}" />`,
    `<meta property="og:description" content="${escapeAttr(route.description)}" />`,
    `<meta property="og:locale" content="en_US" />`,
  ];
  const size = route.image && dir ? pngSize(join(dir, route.image)) : null;
  if (siteUrl) {
    const address = new URL(route.path, siteUrl).href;
    lines.push(`<link rel="canonical" href="${escapeAttr(address)}" />`);
    lines.push(`<meta property="og:url" content="${escapeAttr(address)}" />`);
    if (size) {
      const image = new URL(route.image, siteUrl).href;
      lines.push(`<meta property="og:image" content="${escapeAttr(image)}" />`);
      lines.push(`<meta property="og:image:type" content="image/png" />`);
      lines.push(`<meta property="og:image:width" content="${size.width}" />`);
      lines.push(`<meta property="og:image:height" content="${size.height}" />`);
      lines.push(`<meta property="og:image:alt" content="${escapeAttr(route.title)}" />`);
    }
  }
  const image = siteUrl && size ? new URL(route.image, siteUrl).href : null;
  lines.push(`<meta name="twitter:card" content="${image ? 'summary_large_image' : 'summary'}" />`);
  lines.push(`<meta name="twitter:title" content="${escapeAttr(route.title)}" />`);
  lines.push(`<meta name="twitter:description" content="${escapeAttr(route.description)}" />`);
  if (image) {
    lines.push(`<meta name="twitter:image" content="${escapeAttr(image)}" />`);
    lines.push(`<meta name="twitter:image:alt" content="${escapeAttr(route.title)}" />`);
  }
  return `<!-- polytope:meta (tools/finalize-dist.mjs, from tools/site-routes.json) -->\n    ${lines.join('\n    ')}\n    <!-- /polytope:meta -->`;
}

/// Writes through a new file and a rename: a file hard-linked from another build stays intact.
function writeFresh(file, contents) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

/// Steps 1 and 2: once, on Trunk's output.
function firstPass(dir) {
  const file = join(dir, 'index.html');
  let html = readFileSync(file, 'utf8');
  if (!html.includes('INLINE_SCRIPT_HASHES')) return html;
  if (html.split('INLINE_SCRIPT_HASHES').length !== 2) {
    throw new Error('index.html must contain the INLINE_SCRIPT_HASHES placeholder exactly once');
  }
  if (!META_BLOCK.test(html)) throw new Error('index.html must contain the <!-- polytope:meta --> ... <!-- /polytope:meta --> block');
  const hashes = [];
  for (const match of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)) {
    const digest = createHash('sha256').update(match[1], 'utf8').digest('base64');
    hashes.push(`'sha256-${digest}'`);
  }
  html = html.replace('INLINE_SCRIPT_HASHES', hashes.join(' '));
  // The shell's files: what Trunk wrote next to index.html (script, wasm, styles, icon).
  const precache = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.(js|wasm|css|svg)$/.test(e.name) && e.name !== 'sw.js')
    .map((e) => e.name)
    .sort();
  const sw = join(dir, 'sw.js');
  const swText = readFileSync(sw, 'utf8');
  const build = createHash('sha256').update(html).update(swText).digest('hex').slice(0, 16);
  html = html.replace(META_START, (m) => `<meta name="polytope-build" content="${build}" />\n    ${m}`);
  const swOut = swText
    .replace(/const BUILD = '[^']*'; \/\/ polytope:build/, `const BUILD = '${build}'; // polytope:build`)
    .replace(/const PRECACHE = \[\]; \/\/ polytope:precache/, `const PRECACHE = ${JSON.stringify(precache)}; // polytope:precache`);
  if (swOut === swText) throw new Error('sw.js lacks the polytope:build / polytope:precache lines');
  writeFresh(sw, swOut);
  writeFresh(file, html);
  console.log(`finalize-dist: ${hashes.length} inline script hash(es) in the CSP; build ${build}; ${precache.length} shell files in sw.js`);
  return html;
}

/// Where a route's entry goes: `toy.html`, `tour/polysemantic.html`, and `tour/index.html` too
/// for a route with children (a host may answer /tour with the directory's index).
function entryFiles(route, all) {
  if (route.path === '') return ['index.html', '404.html'];
  const files = [`${route.path}.html`];
  if (all.some((r) => r.path.startsWith(`${route.path}/`))) files.push(`${route.path}/index.html`);
  return files;
}

/// Steps 3-5. Without a public URL, the site URL's path (or `/`).
export function finalize(dir, { publicUrl, siteUrl = null } = {}) {
  const site = normalizeSiteUrl(siteUrl);
  const base = normalizePublicUrl(publicUrl ?? (site ? new URL(site).pathname : '/'));
  if (site && new URL(site).pathname !== base) {
    throw new Error(`the site URL's path (${new URL(site).pathname}) differs from the public URL (${base})`);
  }
  let html = firstPass(dir);
  if (!/<base\b[^>]*>/.test(html)) throw new Error('index.html has no <base> element');
  html = html.replace(/<base\b[^>]*>/, `<base href="${base}" />`);
  const { routes, site_name: siteName } = JSON.parse(readFileSync(ROUTES_FILE, 'utf8'));
  let written = 0;
  let missing = [];
  for (const route of routes) {
    if (route.image && !existsSync(join(dir, route.image))) missing.push(route.image);
    const page = html.replace(META_BLOCK, metaBlock(route, { siteUrl: site, dir, siteName }));
    for (const f of entryFiles(route, routes)) {
      writeFresh(join(dir, f), page);
      written += 1;
    }
  }
  writeFresh(join(dir, '.nojekyll'), '');
  missing = [...new Set(missing)];
  if (missing.length) console.warn(`finalize-dist: no preview image ${missing.join(', ')} (node tools/previews.mjs makes them)`);
  console.log(`finalize-dist: root ${base}; ${written} HTML entries for ${routes.length} routes; ${site ? `link previews for ${site}` : 'no --site-url: link-preview tags without absolute URLs'}`);
}

function fromEnvironment() {
  const trunk = process.env.TRUNK_PUBLIC_URL ?? '';
  return {
    publicUrl: process.env.POLYTOPE_PUBLIC_URL || (trunk.startsWith('/') ? trunk : undefined),
    siteUrl: process.env.POLYTOPE_SITE_URL || null,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  try {
    const dir = opt('dir') ?? process.env.TRUNK_STAGING_DIR;
    if (!dir) throw new Error('no directory: run through trunk, or pass --dir DIST');
    const env = fromEnvironment();
    finalize(dir, {
      publicUrl: opt('public-url') ?? env.publicUrl,
      siteUrl: opt('site-url') ?? env.siteUrl,
    });
  } catch (err) {
    console.error(`finalize-dist: ${err.message}`);
    process.exit(1);
  }
}
