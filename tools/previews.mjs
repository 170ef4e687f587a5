// Makes the link-preview images (public/previews/NAME.png, 1200 x 630, the Open Graph size) by
// opening each route of tools/site-routes.json in headless Chromium, letting it train or load,
// and taking a screenshot. The PNGs are reduced to a 256-colour palette (median cut, written
// here: no image tool needed) to keep them small; they are committed, and the build copies them.
//
//   ./dev build && node tools/previews.mjs        (then commit public/previews/)
//   PREVIEWS_ONLY=toy,sae node tools/previews.mjs  (some of them)
//
// A route whose page does not exist yet (the tour before it is wired) gets the picture named in
// its `fallback`, so every entry has an image; rerun once the page exists.
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const OUT = join('public', 'previews');
const WIDTH = 1200;
const HEIGHT = 630;
const routes = JSON.parse(readFileSync('tools/site-routes.json', 'utf8')).routes;

// What each picture shows, and when it is ready (training on the CPU: the same numbers, and
// faster than a software GPU for these small runs): `ready(arg)` runs in the page (functions, not
// strings: the page's CSP forbids eval). Embeds show the plots without the site's chrome; with
// `crop` the picture starts at the first plot card.
const trained = (section) => {
  const s = window.polytope.state()[section];
  return !!s && (s.status === 'done' || s.step >= 0.5 * s.steps_total);
};
const SHOTS = {
  home: { url: '/', ready: () => window.polytope.state().compute?.backend !== 'detecting' },
  toy: { url: '/toy?preset=intro&backend=cpu&embed=1&panels=vectors,wtw,norms,multiples', ready: trained, arg: 'toy', crop: true },
  geometry: { url: '/geometry?preset=intro&backend=cpu&embed=1&panels=dims,graph', ready: trained, arg: 'geometry', crop: true },
  phase: { url: '/phase?resolution=10&models=3&backend=cpu&embed=1&panels=phase', ready: trained, arg: 'phase', crop: true },
  sae: { url: '/sae?source=toy&variant=l1-2024&d_sae=12&steps=1500&backend=cpu&embed=1&panels=directions,quality,loss', ready: trained, arg: 'sae', crop: true },
  features: { url: '/features/DICT/FEATURE?embed=1&panels=detail', ready: () => window.polytope.state().features?.loaded === true, crop: true },
  compute: { url: '/compute', ready: () => !!window.polytope.state().selfcheck },
  tour: { url: '/tour', ready: () => window.polytope.state().page === 'tour', fallback: 'geometry', timeout: 20000 },
};

// ---- PNG: decode Chromium's RGBA screenshot, quantize, encode with a palette ----------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function decodePng(buf) {
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('expected an 8-bit, non-interlaced PNG');
      colorType = data[9];
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const channels = { 2: 3, 6: 4 }[colorType];
  if (!channels) throw new Error(`unexpected PNG colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(width * height * 3);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? line[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let add = 0;
      if (filter === 1) add = a;
      else if (filter === 2) add = b;
      else if (filter === 3) add = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        add = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      line[i] = (line[i] + add) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      out[(y * width + x) * 3] = line[x * channels];
      out[(y * width + x) * 3 + 1] = line[x * channels + 1];
      out[(y * width + x) * 3 + 2] = line[x * channels + 2];
    }
    prev = line;
  }
  return { width, height, rgb: out };
}

/// Median cut over the distinct colours (weighted by count) into at most `n` boxes.
function palette(rgb, n = 256) {
  const counts = new Map();
  for (let i = 0; i < rgb.length; i += 3) {
    const key = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const colours = [...counts].map(([k, c]) => [(k >> 16) & 255, (k >> 8) & 255, k & 255, c]);
  let boxes = [colours];
  while (boxes.length < n) {
    let best = -1;
    let bestRange = 0;
    let bestAxis = 0;
    boxes.forEach((box, i) => {
      if (box.length < 2) return;
      for (let axis = 0; axis < 3; axis++) {
        let lo = 255;
        let hi = 0;
        for (const c of box) {
          lo = Math.min(lo, c[axis]);
          hi = Math.max(hi, c[axis]);
        }
        const weight = Math.log2(box.reduce((s, c) => s + c[3], 0) + 1);
        if ((hi - lo) * weight > bestRange) {
          bestRange = (hi - lo) * weight;
          best = i;
          bestAxis = axis;
        }
      }
    });
    if (best < 0) break;
    const box = boxes[best].sort((p, q) => p[bestAxis] - q[bestAxis]);
    const total = box.reduce((s, c) => s + c[3], 0);
    let acc = 0;
    let cut = 1;
    for (; cut < box.length - 1; cut++) {
      acc += box[cut - 1][3];
      if (acc >= total / 2) break;
    }
    boxes.splice(best, 1, box.slice(0, cut), box.slice(cut));
  }
  return boxes.map((box) => {
    const w = box.reduce((s, c) => s + c[3], 0);
    return [0, 1, 2].map((a) => Math.round(box.reduce((s, c) => s + c[a] * c[3], 0) / w));
  });
}

function encodeIndexed({ width, height, rgb }) {
  const pal = palette(rgb);
  const cache = new Map();
  const nearest = (r, g, b) => {
    const key = (r << 16) | (g << 8) | b;
    let hit = cache.get(key);
    if (hit === undefined) {
      let best = Infinity;
      pal.forEach(([pr, pg, pb], i) => {
        const d = (pr - r) ** 2 + (pg - g) ** 2 + (pb - b) ** 2;
        if (d < best) {
          best = d;
          hit = i;
        }
      });
      cache.set(key, hit);
    }
    return hit;
  };
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[y * (width + 1) + 1 + x] = nearest(rgb[i], rgb[i + 1], rgb[i + 2]);
    }
  }
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // indexed colour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', Buffer.from(pal.flat())),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- screenshots -----------------------------------------------------------------------------

const index = JSON.parse(readFileSync('dist/data/index.json', 'utf8'));
const dict = index.dictionaries.at(-1)?.id ?? index.dictionaries[0].id;
const server = await startServer({ dir: 'dist', port: 0 });
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--disable-dev-shm-usage'],
});
mkdirSync(OUT, { recursive: true });
const images = [...new Set(routes.map((r) => r.image.replace(/^previews\/|\.png$/g, '')))];
const made = new Map();
let total = 0;
const only = process.env.PREVIEWS_ONLY?.split(',');
for (const name of images) {
  if (only && !only.includes(name) && !(SHOTS[name]?.fallback && only.includes(SHOTS[name].fallback))) continue;
  const shot = SHOTS[name];
  if (!shot) throw new Error(`no picture described for ${name}: add it to SHOTS in tools/previews.mjs`);
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 2 * HEIGHT }, deviceScaleFactor: 1, serviceWorkers: 'block' });
  const page = await context.newPage();
  const url = shot.url.replace('DICT', dict).replace('FEATURE', '3');
  await page.goto(`${base}${url}`);
  let small;
  let note = '';
  try {
    await page.waitForFunction(() => window.polytope?.state().page, null, { timeout: 20000 });
    await page.waitForFunction(shot.ready, shot.arg, { timeout: shot.timeout ?? 240000, polling: 250 });
    await page.waitForTimeout(500); // the last frame drawn
    const top = shot.crop
      ? await page.evaluate(() => Math.max(0, (document.querySelector('[data-panel]')?.getBoundingClientRect().top ?? 0) - 8))
      : 0;
    const png = await page.screenshot({ type: 'png', clip: { x: 0, y: top, width: WIDTH, height: HEIGHT } });
    small = encodeIndexed(decodePng(png));
    note = ` (screenshot ${(png.length / 1024).toFixed(0)} KiB)`;
  } catch (err) {
    if (!shot.fallback) throw err;
    console.log(`  ${name}: ${url} is not ready (${err.message.split('\n')[0]}); using ${shot.fallback}'s picture`);
    small = made.get(shot.fallback) ?? readFileSync(join(OUT, `${shot.fallback}.png`));
  }
  await context.close();
  made.set(name, small);
  writeFileSync(join(OUT, `${name}.png`), small);
  total += small.length;
  console.log(`  ${name}.png: ${(small.length / 1024).toFixed(0)} KiB${note}`);
}
await browser.close();
server.close();
console.log(`previews: ${images.length} images, ${(total / 1024).toFixed(0)} KiB in ${OUT}`);
