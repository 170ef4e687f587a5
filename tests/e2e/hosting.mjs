// Any host, any path, any failure: the build published under /polytope/ as GitHub Pages serves a
// project site (404.html for unknown paths, NAME.html at /NAME), offline there too; the service
// worker's fallbacks and versioned caches; the new-version banner; the crash card; a wasm module
// that does not load; per-route titles in both languages; the static route entries.
//
// Under /polytope/ the tests serve the release build re-targeted by tools/finalize-dist.mjs
// (`--dir COPY --public-url /polytope/`), the same step `./dev build --public-url /polytope/`
// ends with: Trunk writes every address relative to the page, so the wasm, script, styles and
// data are byte for byte those of any other root path, and only the HTML files name the path
// (their <base href> and link-preview tags). One release build thus tests both roots.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finalize } from '../../tools/finalize-dist.mjs';
import { assert, assertNoErrors, openPage, screenshot, serve, state, test, waitForState } from './lib.mjs';

const PREFIX = '/polytope/';
const SITE = 'https://example.org/polytope/';
const ROUTES = JSON.parse(readFileSync('tools/site-routes.json', 'utf8')).routes;
const MAIN = ROUTES.filter((r) => !r.path.includes('/') && r.path !== 'tour');
const dataIndex = () => JSON.parse(readFileSync('dist/data/index.json', 'utf8'));
// The document itself comes back as 404.html with status 404 for deep links (as on GitHub Pages).
const expected404 = (errors) => errors.filter((e) => !e.includes('status of 404'));

/// A copy of dist/ re-targeted to PREFIX with link previews for SITE (hard links: no data copied;
/// finalize-dist replaces the HTML files it rewrites instead of writing through the links).
function publishUnderPrefix() {
  const tmp = mkdtempSync(join(tmpdir(), 'polytope-e2e-'));
  const dir = join(tmp, 'site');
  execFileSync('cp', ['-al', 'dist', dir]);
  finalize(dir, { publicUrl: PREFIX, siteUrl: SITE });
  return { dir, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

const metaContent = (html, attr, name) => {
  const m = html.match(new RegExp(`<meta ${attr}="${name}" content="([^"]*)"`));
  return m ? m[1].replaceAll('&amp;', '&').replaceAll('&quot;', '"') : null;
};
const titleOf = (html) => html.match(/<title>([^<]*)<\/title>/)?.[1].replaceAll('&amp;', '&');

/// Serves dist/ with its shell files uncached by the browser (so the service worker, not the
/// HTTP cache, answers when they fail) and lets a test break them or ship a new sw.js.
async function controllableServer() {
  const control = { mode: 'ok', swEdit: null, wasmRequests: 0, hung: [] };
  const { server, base } = await serve({
    override: async (url, res) => {
      const p = url.pathname;
      if (p === '/sw.js' && control.swEdit) {
        res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' });
        res.end(control.swEdit(readFileSync('dist/sw.js', 'utf8')));
        return true;
      }
      if (!/\.(wasm|js|css)$/.test(p) || p === '/sw.js') return false;
      if (p.endsWith('.wasm')) control.wasmRequests += 1;
      if (control.mode === 'hang') {
        control.hung.push(res); // never answers (until the test ends the hang)
        return true;
      }
      if (control.mode === 'no-wasm' && p.endsWith('.wasm')) {
        res.writeHead(404, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
        res.end('gone');
        return true;
      }
      if (control.mode === 'broken') {
        res.writeHead(p.endsWith('.wasm') ? 404 : 500, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
        res.end('gone');
        return true;
      }
      const type = p.endsWith('.wasm') ? 'application/wasm' : p.endsWith('.css') ? 'text/css' : 'text/javascript';
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(readFileSync(join('dist', p)));
      return true;
    },
  });
  return { server, base, control };
}

async function controlled(page) {
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20000 });
}

export function hostingTests(ctx) {
  test(`hosting: the build under ${PREFIX} (GitHub Pages rules) loads every page, trains, shows data, links and copies with the prefix`, async () => {
    const site = publishUnderPrefix();
    const { server, base } = await serve({ dir: site.dir, prefix: PREFIX, spa: false });
    const root = `${base}${PREFIX}`;
    try {
      const context = await ctx.gpu.newContext({ viewport: { width: 1280, height: 860 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      const page = await context.newPage();
      const errors = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      const progress = {
        toy: () => (window.polytope.state().toy?.step ?? 0) >= 10,
        geometry: () => (window.polytope.state().geometry?.step ?? 0) >= 10,
        phase: () => (window.polytope.state().phase?.step ?? 0) >= 10,
        sae: () => (window.polytope.state().sae?.step ?? 0) >= 10,
        features: () => window.polytope.state().features?.list_loaded === true,
        compute: () => window.polytope.state().compute?.backend !== 'detecting',
        home: () => window.polytope.state().compute?.backend !== 'detecting',
      };
      const timings = [];
      // Small runs: the point is that they train here, not how well.
      const light = { geometry: '?preset=intro', phase: '?resolution=8&models=3&steps=600', sae: '?steps=40&d_sae=64' };
      for (const route of MAIN) {
        const t0 = Date.now();
        const response = await page.goto(`${root}${route.path}${light[route.page] ?? ''}`);
        // Real files, as GitHub Pages serves them: status 200, the route's own tags.
        assert(response.status() === 200, `${route.path}: status ${response.status()}`);
        await waitForState(page, (p) => window.polytope?.state().page === p, route.page, 20000);
        await waitForState(page, progress[route.page], null, 60000);
        // /features opens the first dictionary: `a-512 · Features · Polytope`.
        const want = route.page === 'features' ? `${dataIndex().dictionaries[0].id} · ${route.title}` : route.title;
        await page.waitForFunction((t) => document.title === t, want, { timeout: 5000 }).catch(() => {});
        assert((await page.title()) === want, `${route.path}: title ${await page.title()}`);
        timings.push(`${route.page} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')));
        const outside = hrefs.filter((h) => h.startsWith('/') && !h.startsWith('/polytope/'));
        assert(outside.length === 0, `${route.path}: links outside the prefix: ${outside.join(' ')}`);
        const icon = await page.$eval('link[rel=icon]', (l) => l.href);
        assert(icon === `${root}favicon.svg`, `favicon ${icon}`);
      }
      console.log(`       under ${PREFIX}: ${timings.join(', ')}`);
      const header = await page.$$eval('.site-header a', (as) => as.map((a) => a.getAttribute('href')));
      assert(header.includes('/polytope/') && header.includes('/polytope/toy') && header.includes('/polytope/features'), `header links ${header}`);
      // Client-side navigation inside the prefix.
      await page.click('.site-nav a[href="/polytope/geometry"]');
      await waitForState(page, () => window.polytope.state().page === 'geometry');
      assert(new URL(page.url()).pathname === '/polytope/geometry', page.url());

      // A deep link (404.html, as GitHub Pages serves it), data under the prefix, feature links.
      const d = dataIndex().dictionaries[0];
      await page.goto(`${root}features/${d.id}/3`);
      let s = await waitForState(page, () => window.polytope?.state().features?.loaded === true, null, 60000);
      assert(s.features.feature === 3 && s.features.detail.top > 0, JSON.stringify(s.features).slice(0, 300));
      await page.waitForFunction((t) => document.title === t, `Feature 3 · ${d.id} · Polytope`, { timeout: 5000 }).catch(() => {});
      assert((await page.title()) === `Feature 3 · ${d.id} · Polytope`, `feature title ${await page.title()}`);
      const row = page.locator('[data-testid=feature-list] .frow').nth(1);
      const rowHref = await row.getAttribute('href');
      assert(rowHref.startsWith(`/polytope/features/${d.id}/`), `list link ${rowHref}`);
      await row.click();
      s = await waitForState(page, () => window.polytope.state().features.feature !== 3);
      assert(new URL(page.url()).pathname === rowHref.split('?')[0], `after a click: ${page.url()}`);
      const dataRequests = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.includes('/data/')));
      assert(dataRequests.length > 0 && dataRequests.every((p) => p.startsWith('/polytope/data/')), `data requests ${dataRequests.slice(0, 5)}`);

      // Copied links and embed codes carry the prefix; an embed links back inside it.
      await page.goto(`${root}toy?preset=intro&autoplay=0`);
      await waitForState(page, () => window.polytope?.state().page === 'toy');
      await page.click('[data-testid=copy-link]');
      const link = await page.evaluate(() => navigator.clipboard.readText());
      assert(link === `${root}toy?preset=intro&autoplay=0`, `copied link ${link}`);
      await page.click('[data-testid=copy-embed]');
      const code = (await state(page)).embed_code;
      assert(code.includes(`src="${root}toy?preset=intro&amp;autoplay=0&amp;embed=1`), `embed code ${code}`);
      await page.goto(`${root}toy?preset=intro&embed=1&panels=loss&autoplay=0`);
      await waitForState(page, () => window.polytope?.state().page === 'toy');
      const back = await page.getAttribute('.embed-link a', 'href');
      assert(back === `${root}toy?preset=intro&autoplay=0`, `open-in-Polytope link ${back}`);
      await page.goto(`${root}features/${d.id}/2`);
      await waitForState(page, () => window.polytope?.state().features?.loaded === true, null, 60000);
      await page.click('[data-testid=copy-embed]');
      const featureCode = (await state(page)).embed_code;
      assert(featureCode.includes(`src="${root}features/${d.id}/2?embed=1`), `feature embed ${featureCode}`);
      await page.goto(`${root}no/such/page`);
      await waitForState(page, () => window.polytope?.state().page === 'not-found');
      await screenshot(page, 'prefix-not-found');

      // The crash card under the prefix: its reload link is the page without its settings.
      await page.goto(`${root}toy?preset=intro&autoplay=0&n=7`);
      await waitForState(page, () => window.polytope?.state().page === 'toy');
      await page.evaluate(() => { try { window.polytope.panicForTest('boom under a prefix'); } catch (_) { /* the abort */ } });
      await page.waitForSelector('[data-testid=crash-card]');
      assert((await page.getAttribute('[data-testid=crash-reload]', 'href')) === '/polytope/toy', 'crash reload link');
      assertNoErrors(expected404(errors).filter((e) => !/boom under a prefix|unreachable|RuntimeError/.test(e)), 'prefix');
      await context.close();
    } finally {
      server.close();
      site.cleanup();
    }
  });

  test(`hosting: under ${PREFIX}, a reload with the server gone still opens visited and unvisited pages`, async () => {
    const site = publishUnderPrefix();
    const { server, base } = await serve({ dir: site.dir, prefix: PREFIX, spa: false });
    const root = `${base}${PREFIX}`;
    try {
      const { page, context } = await openPage(ctx.noGpu, `${root}toy?preset=intro&autoplay=0`);
      await controlled(page);
      const scope = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).scope);
      assert(scope === root, `service worker scope ${scope}`);
      const names = await page.evaluate(() => caches.keys());
      assert(names.some((n) => n.startsWith('polytope-shell-v2:/polytope/:')), `caches ${names}`);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await page.reload();
      await waitForState(page, () => window.polytope?.state().page === 'toy', null, 30000);
      await page.goto(`${root}compute?lang=zh`);
      const s = await waitForState(page, () => window.polytope?.state().page === 'compute', null, 30000);
      assert(s.lang === 'zh', 'offline deep link keeps its address');
      await screenshot(page, 'prefix-offline');
      await context.close();
    } finally {
      server.close();
      site.cleanup();
    }
  });

  test('hosting: service worker: a deploy that broke or removed the shell files still loads the app; a new deploy offers a reload and old caches go', async () => {
    const { server, base, control } = await controllableServer();
    try {
      const { page, context, errors } = await openPage(ctx.noGpu, `${base}/`);
      await controlled(page);
      // Another app on the same origin, and a Polytope at another root: neither is touched.
      await page.evaluate(async () => {
        await (await caches.open('another-app')).put('/x', new Response('x'));
        await (await caches.open('polytope-shell-v2:/elsewhere/:x')).put('/elsewhere/x', new Response('x'));
      });
      const firstCaches = await page.evaluate(() => caches.keys());
      const firstShell = firstCaches.find((n) => n.startsWith('polytope-shell-v2:/:'));
      assert(firstShell, `caches ${firstCaches}`);
      // The wasm answers 404 and the script 500, as after a deploy that removed them.
      control.mode = 'broken';
      const before = control.wasmRequests;
      await page.reload();
      await waitForState(page, () => window.polytope?.state().page === 'home', null, 30000);
      assert(control.wasmRequests > before, 'the network was asked first');
      // The server does not answer at all: after the timeout, the cached copy.
      control.mode = 'hang';
      const t0 = Date.now();
      await page.reload({ waitUntil: 'commit' });
      await waitForState(page, () => window.polytope?.state().page === 'home', null, 30000);
      console.log(`       hanging server: the app started from the cache in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // Ends the hung requests: they hold the browser's six connections to this host.
      control.mode = 'ok';
      for (const res of control.hung.splice(0)) res.destroy();

      // Two deploys: the page offers a reload; this build's and the previous build's shells stay.
      await page.evaluate(() => {
        window.takeovers = 0;
        navigator.serviceWorker.addEventListener('controllerchange', () => { window.takeovers += 1; });
      });
      const deploy = async (id) => {
        control.swEdit = (text) => text.replace(/const BUILD = '[^']*'/, `const BUILD = '${id}'`);
        await page.evaluate(async () => { await (await navigator.serviceWorker.getRegistration()).update(); });
      };
      await deploy('deploy-2');
      await page.waitForFunction(() => window.takeovers >= 1, null, { timeout: 20000 });
      await page.waitForSelector('[data-testid=update-banner]', { timeout: 20000 });
      await screenshot(page, 'update-banner');
      await deploy('deploy-3');
      // Once deploy-3 has activated: its shell and deploy-2's, the first one deleted.
      const want = 'polytope-shell-v2:/:deploy-2 polytope-shell-v2:/:deploy-3';
      await page.waitForFunction(
        (w) => caches.keys().then((k) => k.filter((n) => n.startsWith('polytope-shell-v2:/:')).sort().join(' ') === w),
        want,
        { timeout: 20000, polling: 200 },
      )
        .catch(async () => assert(false, `shell caches after two deploys: ${await page.evaluate(() => caches.keys())}`));
      const names = await page.evaluate(() => caches.keys());
      assert(names.includes('another-app') && names.includes('polytope-shell-v2:/elsewhere/:x'), `foreign caches kept: ${names}`);
      await page.click('[data-testid=update-reload]');
      await waitForState(page, () => window.polytope?.state().page === 'home', null, 30000);
      assert(!(await page.isVisible('[data-testid=update-banner]')), 'no banner after the reload');
      assertNoErrors(errors.filter((e) => !/status of (404|500)|Failed to load resource/.test(e)), 'service worker');
      await context.close();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('hosting: a wasm module that does not load replaces "Loading Polytope…" with a message, in the visitor\'s language', async () => {
    const { server, base, control } = await controllableServer();
    try {
      const context = await ctx.noGpu.newContext({ serviceWorkers: 'block' });
      const page = await context.newPage();
      // The wasm is missing (a 404 page instead of the module).
      control.mode = 'no-wasm';
      await page.goto(`${base}/toy?lang=zh`);
      await page.waitForSelector('#boot[data-state=failed]', { timeout: 20000 });
      const text = await page.textContent('#boot');
      assert(text.includes('无法启动') && text.includes('重新加载'), `boot message: ${text}`);
      await screenshot(page, 'boot-failed-zh');
      // The script is missing too.
      control.mode = 'broken';
      await page.goto(`${base}/toy`);
      await page.waitForSelector('#boot[data-state=failed]', { timeout: 20000 });
      const en = await page.textContent('#boot');
      assert(en.includes('could not start') && en.includes('Reload'), `boot message: ${en}`);
      await context.close();
    } finally {
      server.close();
    }
  });

  test('hosting: a panic replaces the page with a card in the visitor\'s language, the message as text', async () => {
    const { page, context } = await openPage(ctx.noGpu, `${ctx.base}/toy?preset=intro&autoplay=0&lang=zh`);
    await page.evaluate(() => { try { window.polytope.panicForTest('<b>boom</b> & more'); } catch (_) { /* the abort */ } });
    await page.waitForSelector('[data-testid=crash-card]');
    assert((await page.textContent('.crash-card h1')).includes('错误'), 'Chinese heading');
    assert((await page.getAttribute('[data-testid=crash-reload]', 'href')) === '/toy?lang=zh', 'reload link');
    const message = await page.textContent('[data-testid=crash-message]');
    assert(message.includes('<b>boom</b> & more') && message.includes('Address: ') && message.includes('toy?preset=intro'), `message ${message}`);
    assert((await page.locator('.crash-card b').count()) === 0, 'the message is never HTML');
    assert(!(await page.isVisible('.site-header')), 'the app is gone');
    await screenshot(page, 'crash-card-zh');
    await page.click('[data-testid=crash-reload]');
    await waitForState(page, () => window.polytope?.state().page === 'toy' && window.polytope.state().lang === 'zh', null, 20000);
    await context.close();
  });

  test('hosting: every route has its own document title in both languages', async () => {
    const { page, context, errors } = await openPage(ctx.noGpu, `${ctx.base}/?lang=zh`);
    for (const route of MAIN) {
      for (const lang of ['zh', 'en']) {
        await page.goto(`${ctx.base}/${route.path}?lang=${lang}&autoplay=0`);
        await waitForState(page, (p) => window.polytope?.state().page === p, route.page, 20000);
        const title = lang === 'zh' ? route.title_zh : route.title;
        const want = route.page === 'features' ? `${dataIndex().dictionaries[0].id} · ${title}` : title;
        await page.waitForFunction((t) => document.title === t, want, { timeout: 5000 }).catch(() => {});
        assert((await page.title()) === want, `${route.path} ${lang}: ${await page.title()} (want ${want})`);
      }
    }
    const d = dataIndex().dictionaries[0];
    await page.goto(`${ctx.base}/features/${d.id}/5?lang=zh`);
    await page.waitForFunction((t) => document.title === t, `字典特征 5 · ${d.id} · Polytope`, { timeout: 20000 });
    await page.click('[data-testid=lang-switch]');
    await page.waitForFunction((t) => document.title === t, `Feature 5 · ${d.id} · Polytope`, { timeout: 5000 });
    await page.goto(`${ctx.base}/no/such/page?lang=zh`);
    await page.waitForFunction(() => document.title === '页面不存在 · Polytope', null, { timeout: 5000 });
    assertNoErrors(errors, 'titles');
    await context.close();
  });

  test('hosting: static route entries: title, description and card tags; absolute URLs only with --site-url', async () => {
    // dist/ was built without --site-url: no absolute URL is guessed.
    for (const route of ROUTES) {
      const file = route.path === '' ? 'dist/index.html' : `dist/${route.path}.html`;
      const html = readFileSync(file, 'utf8');
      assert(titleOf(html) === route.title, `${file}: title ${titleOf(html)}`);
      assert(metaContent(html, 'name', 'description') === route.description, `${file}: description`);
      assert(metaContent(html, 'property', 'og:title') === route.title, `${file}: og:title`);
      assert(metaContent(html, 'name', 'twitter:card') === 'summary', `${file}: twitter:card`);
      assert(!html.includes('og:image') && !html.includes('og:url') && !html.includes('rel="canonical"'), `${file}: absolute URLs without --site-url`);
      assert(html.includes('<base href="/" />'), `${file}: base`);
    }
    // Re-targeted with a site URL: absolute addresses, preview images that exist.
    const site = publishUnderPrefix();
    try {
      for (const route of ROUTES) {
        const html = readFileSync(join(site.dir, route.path === '' ? 'index.html' : `${route.path}.html`), 'utf8');
        assert(metaContent(html, 'property', 'og:url') === `${SITE}${route.path}`, `${route.path}: og:url`);
        const image = metaContent(html, 'property', 'og:image');
        assert(image === `${SITE}${route.image}`, `${route.path}: og:image ${image}`);
        assert(metaContent(html, 'property', 'og:image:width') === '1200' && metaContent(html, 'property', 'og:image:height') === '630', `${route.path}: image size`);
        assert(metaContent(html, 'name', 'twitter:card') === 'summary_large_image', `${route.path}: large card`);
        assert(html.includes(`<base href="${PREFIX}" />`), `${route.path}: base`);
      }
      // Only the HTML files differ from the root build.
      const changed = execFileSync('bash', ['-c', `diff -rq dist ${site.dir} | grep -v '\\.html' || true`]).toString().trim();
      assert(changed === '', `files other than HTML differ: ${changed}`);
    } finally {
      site.cleanup();
    }
  });
}
