// The feature browser: /features over the shipped data (public/data, whatever its size).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, assertNoErrors, openPage, screenshot, serve, state, test, waitForState } from './lib.mjs';

const fx = (page) => page.evaluate(() => window.polytope.state().features);
const loaded = () => window.polytope.state().features?.loaded === true;

function dataIndex() {
  return JSON.parse(readFileSync(join('dist', 'data', 'index.json'), 'utf8'));
}

export function featuresTests(ctx) {
  test('/features loads the first dictionary, searches and opens a feature from the list', async () => {
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/features`);
    const index = dataIndex();
    const first = index.dictionaries[0];
    let s = await waitForState(page, loaded, null, 60000);
    assert(s.page === 'features', 'page');
    assert(s.features.dict === first.id, `first dictionary ${s.features.dict}`);
    assert(s.features.features === first.d_sae, `list of ${s.features.features}`);
    assert(page.url().endsWith(`/features/${first.id}`), `address ${page.url()}`);
    console.log(`       list of ${first.d_sae} in ${s.features.timing.list_ms.toFixed(0)} ms`);
    // Virtualised: far fewer rows in the DOM than features (when there are many).
    const domRows = await page.locator('[data-testid=feature-list] .frow').count();
    assert(domRows > 0 && domRows <= Math.min(first.d_sae, 40), `rows in the DOM: ${domRows}`);
    for (const id of index.dictionaries.map((d) => d.id)) {
      await page.waitForSelector(`[data-dict="${id}"] .dict-stats:has-text("L0")`);
    }
    // The overview: every feature in the density histogram, its dead ones as the manifest counts
    // them, and the plot drawn.
    const manifest = JSON.parse(readFileSync(join('dist', 'data', 'dict', first.id, 'manifest.json'), 'utf8'));
    const hist = s.features.density_histogram;
    assert(Array.isArray(hist) && hist.reduce((a, b) => a + b, 0) === first.d_sae, `density histogram ${JSON.stringify(hist)}`);
    assert(hist[0] === manifest.metrics.dead, `dead ${hist[0]} against the manifest's ${manifest.metrics.dead}`);
    const plot = await page.locator('[data-plot=feature-density] canvas').boundingBox();
    assert(plot && plot.width > 200 && plot.height > 80, `density plot ${JSON.stringify(plot)}`);
    // Interpretability (docs/interpretability.md): the token-rule and context histograms are
    // drawn, and the dictionary's features beat the model's neurons and random directions on
    // the token rule (README: about 0.81 against 0.34 and 0.30 for a-512).
    s = await waitForState(page, () => { const x = window.polytope.state().features.scores; return x && x.dictionary && x.neurons && x.control; }, null, 30000);
    const sc = s.features.scores;
    assert(sc.dictionary.units === first.d_sae && sc.neurons.units === 512, `scored units ${JSON.stringify(sc)}`);
    assert(sc.dictionary.median.token_rule > sc.neurons.median.token_rule + 0.2
      && sc.dictionary.median.token_rule > sc.control.median.token_rule + 0.2, `token rule medians ${JSON.stringify(sc)}`);
    for (const name of ['token-rule', 'context', 'universality']) {
      const box = await page.locator(`[data-plot=${name}] canvas`).boundingBox();
      assert(box && box.width > 200 && box.height > 80, `${name} plot ${JSON.stringify(box)}`);
    }
    // Quality against size: one row per dictionary of the model in the plot's text alternative,
    // sizes ascending, with the manifests' explained variance.
    const sizes = index.dictionaries.filter((d) => d.model === first.model && (d.kind ?? 'sae') === 'sae').map((d) => d.d_sae).sort((a, b) => a - b);
    const table = page.locator('[data-plot=quality-by-size] [data-testid=plot-text] table tbody tr');
    await page.waitForFunction((n) => document.querySelectorAll('[data-plot=quality-by-size] [data-testid=plot-text] table tbody tr').length === n, sizes.length, { timeout: 30000 });
    const rows = await table.allTextContents();
    assert(rows.every((r, i) => r.startsWith(String(sizes[i]))), `sizes ${JSON.stringify(rows)}`);
    const ev = manifest.metrics.explained_variance.toFixed(3);
    assert(rows.some((r) => r.includes(ev)), `explained variance ${ev} of ${first.id} in ${JSON.stringify(rows)}`);
    // Token search: type the first token of a row, fewer or equal rows remain, all matching.
    const before = s.features.rows;
    const token = (await page.textContent('[data-testid=feature-list] .frow .ftoks')).split('”')[0].replace('“', '');
    await page.fill('[data-testid=token-search]', token);
    s = await waitForState(page, (b) => window.polytope.state().features.rows <= b, before);
    assert(s.features.rows >= 1, `search "${token}" finds its own row`);
    assert(page.url().includes('q='), 'the search is in the address');
    console.log(`       token search "${token}": ${s.features.rows} of ${before} rows in ${s.features.timing.search_ms?.toFixed(1)} ms`);
    await page.fill('[data-testid=token-search]', '');
    // Sorting by density puts the densest first.
    await page.selectOption('[data-testid=sort]', 'density');
    await page.waitForTimeout(200);
    // Open the first row.
    const row = page.locator('[data-testid=feature-list] .frow').first();
    const id = Number(await row.getAttribute('data-feature'));
    await row.click();
    s = await waitForState(page, (f) => { const x = window.polytope.state().features; return x.feature === f && x.loaded; }, id, 60000);
    // The feature's own scores, beside the three medians.
    await page.waitForSelector('[data-testid=scores] tr[data-measure=token_rule] [data-testid=score-this]');
    const cells = await page.locator('[data-testid=scores] tbody tr').count();
    assert(cells === 3, `scores table rows ${cells} (token rule, context, universality)`);
    assert(s.features.detail.top > 0, `top examples ${JSON.stringify(s.features.detail)}`);
    assert(page.url().includes(`/features/${first.id}/${id}`), `address ${page.url()}`);
    assert(await page.locator('[data-testid=top-examples] .tok.hit').count() > 0, 'activating tokens marked');
    const title = await page.locator('[data-testid=top-examples] .tok.active').first().getAttribute('title');
    assert(Number.isFinite(Number(title)), `activation on hover: ${title}`);
    assert(await page.isVisible('[data-testid=act-histogram]'), 'activation histogram');
    assert(await page.locator('[data-testid=logits-top] tr').count() > 0, 'logit table');
    console.log(`       first feature in ${s.features.timing.detail_ms.toFixed(0)} ms after mount`);
    await screenshot(page, 'features-list-detail');
    // Text search over the snippets, with progress to the last chunk.
    await page.fill('[data-testid=text-search]', token);
    await page.click('[data-testid=text-search-go]');
    s = await waitForState(page, () => { const t = window.polytope.state().features.text_search; return t && t.total > 0 && t.done === t.total; }, null, 120000);
    assert(s.features.text_search.matches >= 1, `text search ${JSON.stringify(s.features.text_search)}`);
    // Switch dictionaries: the list of the other one replaces it.
    if (index.dictionaries.length > 1) {
      const other = index.dictionaries[1];
      await page.click(`[data-dict="${other.id}"]`);
      s = await waitForState(page, (o) => { const x = window.polytope.state().features; return x.dict === o && x.loaded; }, other.id, 60000);
      assert(s.features.features === other.d_sae, `switched to ${other.id}`);
      console.log(`       switch to ${other.id} in ${s.features.timing.switch_ms?.toFixed(0)} ms`);
    }
    assertNoErrors(errors, 'features');
    await context.close();
  });

  test('/features overview: universality, features against neurons and random directions in the other model', async () => {
    // A dictionary whose size the other model also has (a-2048 against b-2048): the paper's
    // comparison (README: median best correlation about 0.67 for features, 0.30 for neurons).
    const index = dataIndex();
    const paired = index.dictionaries.find((d) => (d.kind ?? 'sae') === 'sae'
      && index.dictionaries.some((o) => o.model !== d.model && o.d_sae === d.d_sae && (o.kind ?? 'sae') === 'sae'));
    const single = index.dictionaries.find((d) => (d.kind ?? 'sae') === 'sae'
      && !index.dictionaries.some((o) => o.model !== d.model && o.d_sae === d.d_sae));
    assert(paired && single, 'the data has a paired and an unpaired dictionary');
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/features/${paired.id}?panels=overview`);
    let s = await waitForState(page, () => { const x = window.polytope.state().features.scores; return x && x.dictionary && x.neurons && x.control; }, null, 60000);
    let u = (g) => s.features.scores[g].median.universality;
    assert(u('dictionary') > u('neurons') + 0.2 && u('dictionary') > u('control') + 0.2 && u('dictionary') <= 1,
      `${paired.id} universality medians ${JSON.stringify(s.features.scores)}`);
    assert(u('neurons') > 0.05 && u('neurons') < 0.8, `neurons ${u('neurons')}`);
    const text = await page.locator('[data-plot=universality] [data-testid=plot-text] table').textContent();
    assert(text.includes(paired.id), `the universality table names ${paired.id}: ${text}`);
    console.log(`       universality medians ${paired.id} ${u('dictionary').toFixed(3)}, neurons ${u('neurons').toFixed(3)}, control ${u('control').toFixed(3)}`);
    // A size only one model has: no feature scores, the neurons still drawn.
    await page.goto(`${ctx.base}/features/${single.id}?panels=overview`);
    s = await waitForState(page, (id) => { const x = window.polytope.state().features; return x.dict === id && x.scores && x.scores.dictionary && x.scores.neurons; }, single.id, 60000);
    assert(u('dictionary') === null && u('neurons') > 0.05, `${single.id} ${JSON.stringify(s.features.scores)}`);
    assertNoErrors(errors, 'features universality');
    await context.close();
  });

  test('/features deep link, split and match links walk between dictionaries; back returns', async () => {
    const index = dataIndex();
    const d = index.dictionaries[0];
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/features/${d.id}/1?lang=zh`);
    let s = await waitForState(page, loaded, null, 60000);
    assert(s.features.dict === d.id && s.features.feature === 1, JSON.stringify(s.features));
    assert((await page.textContent('[data-testid=detail-title]')).includes('特征'), 'Chinese title');
    const link = page.locator('[data-testid=splits] a, [data-testid=best-match] a').first();
    if (await link.count()) {
      const target = { dict: await link.getAttribute('data-link-dict'), feature: Number(await link.getAttribute('data-link-feature')) };
      await link.click();
      s = await waitForState(page, (t) => { const x = window.polytope.state().features; return x.dict === t.dict && x.feature === t.feature && x.loaded; }, target, 60000);
      assert(page.url().includes('lang=zh'), 'links keep the language');
      await page.goBack();
      s = await waitForState(page, (t) => { const x = window.polytope.state().features; return x.dict === t && x.feature === 1; }, d.id, 30000);
    }
    await screenshot(page, 'features-deep-link-zh');
    assertNoErrors(errors, 'features deep link');
    await context.close();
  });

  test('/features family tree: the God feature\'s family across sizes, built from decoder directions', async () => {
    const god = dataIndex().highlights.find((h) => h.tag === 'god');
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/features/${god.dict}/${god.index}`);
    await waitForState(page, loaded, null, 60000);
    assert(await page.isVisible('[data-section=family] [data-testid=family-open]'), 'a button asks for the tree');
    await page.click('[data-testid=family-open]');
    const s = await waitForState(page, () => {
      const f = window.polytope.state().features.family;
      return f && (f.nodes || f.error);
    }, null, 60000);
    const f = s.features.family;
    assert(!f.error, `family: ${f.error}`);
    // Every SAE dictionary of the model, smallest first; the asked feature on the path.
    const sizes = dataIndex().dictionaries.filter((d) => d.model === 'A' && (d.kind ?? 'sae') === 'sae');
    assert(f.levels.length === sizes.length, `levels ${f.levels} of ${sizes.map((d) => d.id)}`);
    const at = f.nodes.find((n) => n.dict === god.dict && n.feature === god.index);
    assert(at && at.on_path, `the God feature in its tree: ${JSON.stringify(f.nodes).slice(0, 300)}`);
    assert(f.nodes[0].parent === null && f.nodes.slice(1).every((n) => n.parent !== null && n.parent < f.nodes.indexOf(n)), 'a tree, parents first');
    // It splits: at least two children in the next larger dictionary, one of them close.
    const kids = f.nodes.filter((n) => n.parent === f.nodes.indexOf(at));
    assert(kids.length >= 2 && kids[0].cosine > 0.7 && kids.every((k) => k.cosine >= f.threshold), `children ${JSON.stringify(kids)}`);
    // What the visitor sees: one link per node, the asked feature marked, cosines as numbers.
    assert(await page.locator('[data-testid=family-tree] a').count() === f.nodes.length, 'one link per node');
    const current = page.locator('[data-testid=family-tree] a[aria-current=true]');
    assert(await current.getAttribute('data-family-feature') === String(god.index), 'the asked feature is marked');
    assert((await page.textContent('[data-testid=family-tree]')).includes(`cosine ${kids[0].cosine.toFixed(2)}`), 'edges show their cosine');
    await page.locator('[data-section=family]').scrollIntoViewIfNeeded();
    await screenshot(page, 'features-family-tree');
    // A child's link opens it, and its own tree is asked for again.
    await page.locator(`[data-testid=family-tree] a[data-family-dict="${kids[0].dict}"][data-family-feature="${kids[0].feature}"]`).click();
    await waitForState(page, (k) => { const x = window.polytope.state().features; return x.dict === k.dict && x.feature === k.feature && x.loaded; }, kids[0], 60000);
    assert(await page.isVisible('[data-testid=family-open]'), 'the next feature offers its own tree');
    // An address ending in #family (the tour's splitting step links one) opens the tree itself.
    await page.goto(`${ctx.base}/features/${god.dict}/${god.index}#family`);
    const g = await waitForState(page, (k) => { const x = window.polytope.state().features.family; return x && x.feature === k && (x.nodes || x.error); }, god.index, 60000);
    assert(!g.features.family.error && g.features.family.nodes.length === f.nodes.length, `the tree opened by the address: ${JSON.stringify(g.features.family).slice(0, 200)}`);
    assert(!(await page.isVisible('[data-testid=family-open]')), 'no button to press');
    assertNoErrors(errors, 'features family tree');
    await context.close();
  });

  test('/features map: hover names a feature and a click opens it', async () => {
    const d = dataIndex().dictionaries[0];
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/features/${d.id}`);
    await waitForState(page, loaded, null, 60000);
    const canvas = page.locator('[data-testid=feature-map]');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    // Zoom in with the wheel and find a feature by hovering over a grid.
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -200);
    let found = null;
    for (let gy = 0.1; gy < 0.95 && !found; gy += 0.05) {
      for (let gx = 0.1; gx < 0.95 && !found; gx += 0.03) {
        await page.mouse.move(box.x + box.width * gx, box.y + box.height * gy);
        if (await page.locator('[data-testid=map-tooltip]').count()) found = [gx, gy];
      }
    }
    assert(found, 'hovering the map shows a feature');
    const tip = await page.textContent('[data-testid=map-tooltip]');
    const id = Number(tip.match(/#(\d+)/)[1]);
    await page.mouse.down();
    await page.mouse.up();
    const s = await waitForState(page, (f) => { const x = window.polytope.state().features; return x.feature === f && x.loaded; }, id, 60000);
    assert(s.features.feature === id, `map opened ${id}`);
    await screenshot(page, 'features-map');
    assertNoErrors(errors, 'features map');
    await context.close();
  });

  test('/features custom text: the model and the SAE run in the page and highlight tokens', async () => {
    const d = dataIndex().dictionaries[0];
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/features/${d.id}`);
    await waitForState(page, loaded, null, 60000);
    await page.waitForFunction(() => document.querySelector('[data-testid=custom-text]').value.length > 20, null, { timeout: 30000 });
    await page.click('[data-testid=custom-run]');
    let s = await waitForState(page, () => window.polytope.state().features.custom?.status === 'done', null, 120000);
    assert(s.features.custom.tokens > 5, `tokens ${JSON.stringify(s.features.custom)}`);
    console.log(`       custom text: ${s.features.custom.tokens} tokens in ${s.features.custom.ms.toFixed(0)} ms`);
    // Click a token: its features are listed; open the strongest, which then highlights tokens.
    await page.locator('[data-testid=custom-tokens] .tok-click').nth(3).click();
    const first = page.locator('[data-testid=token-features] a').first();
    const id = Number(await first.getAttribute('data-link-feature'));
    await first.click();
    s = await waitForState(page, (f) => { const x = window.polytope.state().features; return x.feature === f && x.custom.highlighted > 0; }, id, 60000);
    assert(await page.locator('[data-testid=custom-tokens] .tok.active').count() > 0, 'highlighted tokens');
    await screenshot(page, 'features-custom-text');
    assertNoErrors(errors, 'features custom text');
    await context.close();
  });

  test('/features embed mode shows only the chosen panels', async () => {
    const d = dataIndex().dictionaries[0];
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/features/${d.id}/2?embed=1&panels=detail`);
    await waitForState(page, loaded, null, 60000);
    assert(!(await page.isVisible('.site-header')), 'no header');
    assert(await page.isVisible('[data-panel=detail]'), 'detail panel');
    for (const p of ['list', 'map', 'text', 'dicts']) assert(!(await page.isVisible(`[data-panel=${p}]`)), `no ${p} panel`);
    await screenshot(page, 'features-embed');
    assertNoErrors(errors, 'features embed');
    await context.close();
    // One feature's card in a blog's 720 x 480 frame, and in a phone-wide one: no scrolling
    // inside the frame, the title, the first example and the link to the whole page in view;
    // sections= picks what the card shows.
    const god = dataIndex().highlights.find((h) => h.tag === 'god');
    for (const [q, viewport, want, absent] of [
      ['', { width: 720, height: 480 }, '[data-testid=top-examples] .example', null],
      ['&sections=histogram,logits&lang=zh', { width: 720, height: 480 }, '[data-section=histogram] svg', '[data-section=top]'],
      ['', { width: 400, height: 600 }, '[data-testid=top-examples] .example', null],
    ]) {
      const where = `embed ${god.dict}/${god.index}${q} at ${viewport.width} x ${viewport.height}`;
      const card = await openPage(ctx.noGpu, `${ctx.base}/features/${god.dict}/${god.index}?embed=1&panels=detail${q}`, { viewport });
      await waitForState(card.page, loaded, null, 60000);
      await card.page.waitForSelector(want);
      const m = await card.page.evaluate((sel) => {
        const box = (el) => el && el.getBoundingClientRect().toJSON();
        return {
          scroll: document.scrollingElement.scrollHeight, width: document.scrollingElement.scrollWidth,
          title: box(document.querySelector('[data-testid=detail-title]')), first: box(document.querySelector(sel)),
          link: box(document.querySelector('.embed-link a')), card: box(document.querySelector('[data-panel=detail]')),
        };
      }, want);
      const inView = (b) => b && b.top >= 0 && b.bottom <= viewport.height + 1 && b.right <= viewport.width + 1;
      assert(m.scroll <= viewport.height + 1 && m.width <= viewport.width + 1, `${where}: the page scrolls (${m.width} x ${m.scroll})`);
      assert(inView(m.title) && inView(m.first) && inView(m.link) && inView(m.card), `${where}: out of view ${JSON.stringify(m)}`);
      if (absent) assert(await card.page.locator(absent).count() === 0, `${where}: ${absent} is not asked for`);
      await screenshot(card.page, `features-embed-card-${viewport.width}${q ? '-sections' : ''}`);
      assertNoErrors(card.errors, where);
      await card.context.close();
    }
    // The full page's panel toggles choose what the embed code shows.
    const full = await openPage(ctx.noGpu, `${ctx.base}/features/${d.id}/2`);
    await waitForState(full.page, loaded, null, 60000);
    await full.page.uncheck('[data-toggle=map] input');
    assert(!(await full.page.isVisible('[data-panel=map]')), 'map hidden by its toggle');
    assert(full.page.url().includes('panels='), `panels in the address: ${full.page.url()}`);
    await full.page.click('[data-testid=copy-embed]');
    const code = (await state(full.page)).embed_code;
    assert(code.includes('embed=1') && code.replaceAll('%2C', ',').includes('panels=dicts,overview,list,detail,text') && code.startsWith('<iframe'), code);
    assertNoErrors(full.errors, 'features embed toggles');
    await full.context.close();
  });

  test('/features: an unknown dictionary in the address is said by the overview when it is the only panel', async () => {
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/features/no-such-dict/1?panels=overview`);
    await page.waitForSelector('[data-testid=overview-error]', { timeout: 20000 });
    const text = await page.textContent('[data-testid=overview-error]');
    assert(text.includes('no-such-dict'), `overview error: ${text}`);
    assert((await page.locator('[data-plot=feature-density]').count()) === 0, 'no empty plot beside the error');
    assertNoErrors(errors.filter((e) => !/Failed to load resource/.test(e)), 'unknown dictionary');
    await context.close();
  });

  test('/features: a corrupted chunk gives the detail panel an error, the rest keeps working', async () => {
    const index = dataIndex();
    const d = index.dictionaries[0];
    const manifest = JSON.parse(readFileSync(join('dist', 'data', d.manifest), 'utf8'));
    const dir = d.manifest.replace(/[^/]+$/, '');
    const chunkPath = `/data/${dir}${manifest.chunks[0].path}`;
    const { server, base } = await serve({
      override: async (url, res) => {
        if (url.pathname !== chunkPath) return false;
        const bytes = readFileSync(join('dist', url.pathname));
        bytes[bytes.length - 3] ^= 0xff;
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store' });
        res.end(bytes);
        return true;
      },
    });
    const { page, errors, context } = await openPage(ctx.noGpu, `${base}/features/${d.id}/0`);
    // The chunk's error and the list arrive in either order: wait for both (the list must load).
    const s = await waitForState(page, () => {
      const f = window.polytope.state().features;
      return !!f?.error && f.list_loaded;
    }, null, 60000);
    assert(s.features.list_loaded, 'the list still loads');
    assert(s.features.error.includes(`${dir}${manifest.chunks[0].path}`) && s.features.error.includes('checksum'), s.features.error);
    const shown = await page.textContent('[data-testid=detail-error]');
    assert(shown.includes('checksum'), `panel error: ${shown}`);
    assert(await page.locator('[data-testid=feature-list] .frow').count() > 0, 'list rows still there');
    await screenshot(page, 'features-corrupted-chunk');
    // The only console errors allowed are none: the failure is reported in the panel.
    assertNoErrors(errors, 'features corrupted');
    await context.close();
    server.close();
  });

  test('/features offline: after a visit, a reload with the server stopped shows the feature', async () => {
    const d = dataIndex().dictionaries[0];
    const { server, base } = await serve();
    const { page, context } = await openPage(ctx.noGpu, `${base}/features/${d.id}/3`);
    await waitForState(page, loaded, null, 60000);
    await page.evaluate(async () => { await navigator.serviceWorker.ready; });
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20000 });
    // Let the page finish putting the checked files into the cache.
    await page.waitForFunction(async () => {
      const name = (await caches.keys()).find((n) => n.startsWith('polytope-data-'));
      const c = name && (await caches.open(name));
      return !!c && (await c.keys()).some((r) => r.url.includes('chunk-'));
    }, null, { timeout: 20000, polling: 200 });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await page.reload();
    await page.waitForFunction(() => window.polytope?.state().features?.loaded === true, null, { timeout: 60000, polling: 200 });
    const s = await state(page);
    assert(s.features.feature === 3 && s.features.detail.top > 0, JSON.stringify(s.features));
    await screenshot(page, 'features-offline');
    await context.close();
  });
}
