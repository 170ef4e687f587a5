// Feature browser benchmark (issue 7's targets): first feature after a cold load, switching
// features, searching every feature's top tokens. Headless Chromium, release build in dist/,
// real data in public/data (copied into dist/data by trunk).
//
//   node tests/bench/features.mjs [--dict a-4096] [--rounds 20] [--json]
//
// Cold load: a fresh browser context (empty HTTP cache, no service worker), from navigation
// start to the feature's detail panel rendered. Switching: a click on a feature row to its
// detail rendered, within a loaded dictionary (chunks not yet fetched are fetched: the
// first visit to a chunk is part of the number). Search: the list filter over all features
// of the dictionary, as timed by the page (state().features.timing.search_ms).
import { launch, serve } from '../e2e/lib.mjs';

const args = process.argv.slice(2);
const arg = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const dict = arg('--dict', 'a-4096');
const rounds = Number(arg('--rounds', 20));
const asJson = args.includes('--json');

const { server, base } = await serve();
const browser = await launch({ webgpu: true });
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, median: s[Math.floor(s.length / 2)], p90: s[Math.floor(s.length * 0.9)], max: s[s.length - 1] };
};
// A function, not a string: the page's Content-Security-Policy forbids eval.
const detailShown = (f) => {
  const s = window.polytope?.state().features;
  return Boolean(s && s.feature === f && s.detail_loaded);
};

// Opens feature `f` of the dictionary through the router (as a link does) and returns the
// milliseconds until the page state reports it shown, polled once per animation frame.
const switchTo = (page, f) =>
  page.evaluate(async ({ dict, f }) => {
    const t0 = performance.now();
    history.pushState({}, '', `/features/${dict}/${f}`);
    dispatchEvent(new PopStateEvent('popstate'));
    while (!(window.polytope.state().features.feature === f && window.polytope.state().features.detail_loaded)) {
      await new Promise((r) => requestAnimationFrame(r));
    }
    return performance.now() - t0;
  }, { dict, f });

// Cold loads.
const cold = [];
for (let i = 0; i < 5; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const feature = (100 + i * 500) % Number(dict.split('-').pop()); // d_sae from the id
  await page.goto(`${base}/features/${dict}/${feature}`);
  await page.waitForFunction(detailShown, feature, { timeout: 60000 });
  await page.waitForSelector('[data-testid="detail-title"], .detail-panel h2', { timeout: 60000 });
  cold.push(await page.evaluate(() => performance.now()));
  await context.close();
}

// Switching and searching in one warm page.
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
await page.goto(`${base}/features/${dict}/0`);
await page.waitForFunction(detailShown, 0, { timeout: 60000 });
const d = await page.evaluate(() => window.polytope.state().features.features);
// Right after the first feature, while the page still fetches the dictionary's other chunks.
const early = [];
for (let r = 0; r < 5; r++) {
  const f = (r * 1237 + 301) % d;
  early.push(await switchTo(page, f));
}
// Then with the dictionary in memory (the page prefetches it in the background).
const chunks = Math.ceil(d / 64);
await page.waitForFunction((n) => window.polytope.state().features.chunks_in_memory >= n, chunks, { timeout: 120000 });
const switching = [];
for (let r = 0; r < rounds; r++) {
  const f = (r * 997 + 13) % d;
  const ms = await switchTo(page, f);
  switching.push(ms);
}
// Within one chunk (already decoded): what rendering a feature page costs.
const switchingSameChunk = [];
for (let r = 1; r <= Math.min(rounds, 60); r++) {
  switchingSameChunk.push(await switchTo(page, r));
}
const search = [];
for (const q of [' the', ' God', 'ing', ' Congress', 'x', ' of', ' and', ' LORD', ' war', ' s']) {
  await page.fill('[data-testid="token-search"]', '');
  await page.fill('[data-testid="token-search"]', q);
  await page.waitForTimeout(100);
  search.push(await page.evaluate(() => window.polytope.state().features.timing.search_ms));
}
await browser.close();
server.close();

const rows = {
  dict,
  features: d,
  cold_load_ms: stats(cold),
  switch_while_prefetching_ms: stats(early),
  switch_ms: stats(switching),
  switch_same_chunk_ms: stats(switchingSameChunk),
  search_ms: stats(search),
};
if (asJson) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`feature browser, ${dict} (${d} features)`);
  for (const [k, v] of Object.entries(rows).filter(([k]) => k.endsWith('_ms'))) {
    console.log(`  ${k.padEnd(14)} median ${v.median.toFixed(1).padStart(7)} ms   p90 ${v.p90.toFixed(1).padStart(7)} ms   max ${v.max.toFixed(1).padStart(7)} ms   (n = ${v.n})`);
  }
}
