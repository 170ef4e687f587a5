// The toy-model explorer: /toy, /geometry and /phase, on WebGPU and on the CPU fallback.
import { assert, assertFits, assertNoErrors, openPage, screenshot, state, test, waitForState } from './lib.mjs';

const toy = (page) => page.evaluate(() => window.polytope.state().toy);
const meanLoss = (report) => {
  const l = report.instances.map((i) => i.loss).filter((x) => x !== null);
  return l.reduce((a, b) => a + b, 0) / l.length;
};

/// True when the instance shows the pentagon: five represented features with D_i near 2/5.
export function isPentagon(inst) {
  return inst.norms.every((n) => n > 0.5) && inst.dimensionality.every((d) => Math.abs(d - 0.4) < 0.05);
}

export function explorerTests(ctx) {
  test('toy page trains on WebGPU: the step grows and the loss falls', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro&seed=1`);
    let s = await waitForState(page, () => (window.polytope.state().toy?.step ?? 0) >= 20, null, 60000);
    assert(s.page === 'toy' && s.toy.backend === 'gpu', `backend ${s.toy.backend}`);
    const early = meanLoss(s.toy.report);
    s = await waitForState(page, () => window.polytope.state().toy.step >= 300, null, 120000);
    const later = meanLoss(s.toy.report);
    assert(later < early * 0.9, `loss should fall: ${early} -> ${later}`);
    assert(s.toy.report.instances.length === 10, 'ten instances');
    assert(page.url().includes('preset=intro') && page.url().includes('seed=1'), `url ${page.url()}`);
    for (const panel of ['vectors', 'wtw', 'norms', 'loss', 'multiples']) {
      assert(await page.isVisible(`[data-panel=${panel}] canvas`), `panel ${panel} visible`);
    }
    await screenshot(page, 'toy-intro-webgpu');
    assertNoErrors(errors, 'toy');
    await context.close();
  });

  test('/toy?preset=intro&seed=1 reaches a pentagon in its sparsest instance', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro&seed=1`);
    const started = Date.now();
    const s = await waitForState(
      page,
      () => {
        const t = window.polytope.state().toy;
        if (!t?.report || t.step < 500) return false;
        const inst = t.report.instances[t.report.instances.length - 1];
        return inst.norms.every((n) => n > 0.5) && inst.dimensionality.every((d) => Math.abs(d - 0.4) < 0.05);
      },
      null,
      400000,
    );
    const sparsest = s.toy.report.instances[9];
    assert(Math.abs(sparsest.feature_probability[0] - 0.05) < 1e-6, 'sparsest instance is density 0.05');
    assert(isPentagon(sparsest), `D_i ${sparsest.dimensionality}`);
    console.log(`       pentagon at step ${s.toy.step} after ${((Date.now() - started) / 1000).toFixed(0)} s on ${s.toy.backend}: D_i ${sparsest.dimensionality.map((d) => d.toFixed(3)).join(' ')}`);
    await screenshot(page, 'toy-pentagon');
    assertNoErrors(errors, 'pentagon');
    await context.close();
  });

  test('a URL round trip gives the same numbers, and the CPU path agrees', async () => {
    const url = `${ctx.base}/toy?preset=intro&seed=3&steps=150&lr=0.01&batch=256`;
    const results = [];
    for (const [browser, suffix] of [[ctx.gpu, ''], [ctx.gpu, ''], [ctx.gpu, '&backend=cpu']]) {
      const { page, errors, context } = await openPage(browser, url + suffix);
      const s = await waitForState(page, () => window.polytope.state().toy?.status === 'done', null, 120000);
      assert(s.toy.step === 150, `step ${s.toy.step}`);
      results.push(s.toy.report);
      assertNoErrors(errors, `round trip ${suffix}`);
      await context.close();
    }
    const [a, b, c] = results;
    assert(a.backend === 'gpu' && c.backend === 'cpu', `backends ${a.backend} ${c.backend}`);
    let maxGpu = 0;
    let maxCpu = 0;
    for (let i = 0; i < a.instances.length; i++) {
      for (let k = 0; k < a.instances[i].w.length; k++) {
        maxGpu = Math.max(maxGpu, Math.abs(a.instances[i].w[k] - b.instances[i].w[k]));
        maxCpu = Math.max(maxCpu, Math.abs(a.instances[i].w[k] - c.instances[i].w[k]));
      }
    }
    assert(maxGpu === 0, `the same URL twice differs by ${maxGpu}`);
    assert(maxCpu < 1e-4, `GPU and CPU differ by ${maxCpu}`);
    console.log(`       reload: identical; GPU vs CPU after 150 steps: max |dW| ${maxCpu.toExponential(2)}`);
  });

  test('labels= names the features in the plots and their data tables (never as HTML)', async () => {
    const names = ['dog', 'apple', '<b>heart</b>', 'eye', '汽车'];
    const query = `labels=${names.map(encodeURIComponent).join(',')}`;
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro&${query}&autoplay=0`);
    await waitForState(page, () => window.polytope.state().toy.report !== null, null, 30000);
    const s = await toy(page);
    assert(JSON.stringify(s.labels) === JSON.stringify(names), `labels ${JSON.stringify(s.labels)}`);
    for (const plot of ['vectors', 'norms']) {
      const table = await page.textContent(`[data-plot=${plot}] table`);
      assert(names.every((n) => table.includes(n)), `${plot} table names every feature: ${table}`);
      assert((await page.locator(`[data-plot=${plot}] table b`).count()) === 0, `${plot}: a label is text, not HTML`);
    }
    assert(page.url().includes('labels='), 'labels stay in the address');
    await page.click('[data-testid=copy-embed]');
    const code = (await state(page)).embed_code;
    assert(code.includes('labels='), `the embed code keeps the labels: ${code}`);
    assertNoErrors(errors, 'labels');
    await context.close();
  });

  test('settings live in the URL; bad values are reported and the rest still runs', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro&m=0&density=abc&seed=7&autoplay=0`);
    await page.waitForSelector('[data-testid=setting-errors]');
    const text = await page.textContent('[data-testid=setting-errors]');
    assert(text.includes('m="0"') && text.includes('density="abc"'), `errors shown: ${text}`);
    let s = await toy(page);
    assert(s.settings.seed === '7' && !('m' in s.settings), `settings ${JSON.stringify(s.settings)}`);
    assert(s.status === 'paused' && s.step === 0, 'autoplay=0 keeps it paused');
    await page.fill('[data-control=seed] input', '42');
    await page.press('[data-control=seed] input', 'Enter');
    await page.waitForFunction(() => window.location.search.includes('seed=42'));
    await page.selectOption('[data-control=preset] select', 'sparsity-sweep');
    await page.waitForFunction(() => window.location.search.includes('preset=sparsity-sweep'));
    s = await toy(page);
    assert(s.report.n_features === 20 && s.report.n_hidden === 5, 'preset applied');
    await page.click('[data-testid=step]');
    await page.waitForFunction(() => window.polytope.state().toy.step === 1);
    assertNoErrors(errors, 'settings');
    await context.close();
  });

  test('embed mode shows only the chosen panels, trains live, and copy-embed makes an iframe', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro&embed=1&panels=vectors,loss`);
    await waitForState(page, () => (window.polytope.state().toy?.step ?? 0) >= 10, null, 60000);
    assert(!(await page.isVisible('.site-header')), 'no site header');
    assert(!(await page.isVisible('.sidebar')), 'no settings sidebar');
    const panels = await page.$$eval('[data-panel]', (els) => els.map((e) => e.dataset.panel));
    assert(JSON.stringify(panels) === JSON.stringify(['vectors', 'loss']), `panels ${panels}`);
    assert(await page.isVisible('[data-testid=play]'), 'play button');
    assert(await page.isVisible('.embed-link a'), 'link to the full page');
    await page.setViewportSize({ width: 540, height: 520 });
    await screenshot(page, 'toy-embed');
    await context.close();

    const full = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro&autoplay=0`);
    await full.page.click('[data-testid=copy-embed]');
    const code = (await state(full.page)).embed_code;
    assert(code.startsWith('<iframe ') && code.includes('embed=1') && code.includes('preset=intro'), `embed code ${code}`);
    assertNoErrors([...errors, ...full.errors], 'embed');
    await full.context.close();
  });

  test('embeds fit the frame they are given (/toy, /sae, /geometry, /phase): 720 x 480 shows the asked-for panels without scrolling; all of them fit the size the embed code proposes', async () => {
    // [address, frame height, ready]: two panels in a blog's 720 x 480 frame; every panel in
    // the height the copied embed code proposes for them (share_bar.rs: 150 + 330 a row of two).
    for (const [path, height, ready, minPlot = 140] of [
      ['/toy?preset=intro&embed=1&panels=vectors,loss', 480, () => (window.polytope.state().toy?.step ?? 0) >= 10],
      ['/toy?preset=intro&embed=1', 150 + 3 * 330, () => (window.polytope.state().toy?.step ?? 0) >= 10],
      ['/sae?embed=1&panels=loss,quality&backend=cpu', 480, () => (window.polytope.state().sae?.step ?? 0) >= 10],
      ['/sae?embed=1&backend=cpu', 150 + 3 * 330, () => (window.polytope.state().sae?.step ?? 0) >= 10],
      ['/geometry?embed=1&panels=dims,graph&backend=cpu', 480, () => (window.polytope.state().geometry?.step ?? 0) >= 5],
      // Its wide plots (aspect 0.4) take one cell of 330 px in a frame: 132 px tall.
      ['/geometry?embed=1&backend=cpu', 150 + 2 * 330, () => (window.polytope.state().geometry?.step ?? 0) >= 5, 120],
      ['/phase?embed=1&resolution=6&models=2&steps=300&backend=cpu', 150 + 330, () => (window.polytope.state().phase?.classified ?? 0) >= 1],
    ]) {
      const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}${path}`, { viewport: { width: 720, height } });
      await waitForState(page, ready, null, 60000);
      const sizes = await assertFits(page, `${path} at 720 x ${height}`, { minPlot });
      console.log(`       ${path} at 720 x ${height}: ${sizes}`);
      await screenshot(page, `embed-fit-${path.split('?')[0].slice(1)}-${height}`);
      if (path.includes('panels=vectors,loss')) {
        // A phone-sized frame keeps both in view, one to a row.
        await page.setViewportSize({ width: 400, height: 640 });
        await assertFits(page, `${path} at 400 x 640`, { minPlot: 120 });
      }
      assertNoErrors(errors, path);
      await context.close();
    }
  });

  test('plots answer hover and click, export parsable SVG, and the 3-D view rotates', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro&autoplay=0`);
    await page.waitForFunction(() => window.polytope.state().toy?.report);
    // Click the first small multiple: selects instance 0.
    const multiples = page.locator('[data-panel=multiples] canvas');
    const box = await multiples.boundingBox();
    await multiples.click({ position: { x: box.width * 0.08, y: box.height * 0.25 } });
    await page.waitForFunction(() => window.polytope.state().toy.selected_instance === 0);
    // Hover a bar of the norm chart: a tooltip with the value.
    const norms = page.locator('[data-panel=norms] canvas');
    const bars = await norms.boundingBox();
    await norms.hover({ position: { x: bars.width * 0.2, y: bars.height * 0.1 } });
    await page.waitForSelector('[data-panel=norms] .plot-tooltip');
    const tip = await page.textContent('[data-panel=norms] .plot-tooltip');
    assert(tip.includes('feature 0') && tip.includes('‖W‖'), `tooltip ${tip}`);
    // Click that bar: highlights feature 0 everywhere.
    await norms.click({ position: { x: bars.width * 0.2, y: bars.height * 0.1 } });
    await page.waitForFunction(() => window.polytope.state().toy.highlight_feature === 0);
    // SVG export parses.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-panel=vectors] [data-export=svg]'),
    ]);
    const svg = await (await download.createReadStream()).toArray().then((b) => Buffer.concat(b).toString('utf8'));
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return { error: !!doc.querySelector('parsererror'), root: doc.documentElement.nodeName, arrows: doc.querySelectorAll('polygon').length };
    }, svg);
    assert(!parsed.error && parsed.root === 'svg' && parsed.arrows === 5, `SVG export ${JSON.stringify(parsed)}`);
    await context.close();

    const three = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro&m=3&autoplay=0`);
    await three.page.waitForFunction(() => window.polytope.state().toy?.report?.n_hidden === 3);
    const canvas = three.page.locator('[data-panel=vectors] canvas');
    await three.page.waitForTimeout(300);
    const before = await canvas.evaluate((c) => c.toDataURL());
    await canvas.scrollIntoViewIfNeeded();
    const b3 = await canvas.boundingBox();
    await three.page.mouse.move(b3.x + b3.width / 2, b3.y + b3.height / 2);
    await three.page.mouse.down();
    await three.page.mouse.move(b3.x + b3.width / 2 + 80, b3.y + b3.height / 2 + 20, { steps: 5 });
    await three.page.mouse.up();
    await three.page.waitForTimeout(300);
    const after = await canvas.evaluate((c) => c.toDataURL());
    assert(before !== after, 'dragging rotates the 3-D view');
    await screenshot(three.page, 'toy-3d');
    assertNoErrors([...errors, ...three.errors], 'plots');
    await three.context.close();
  });

  test('CPU fallback trains the toy model with a visible notice', async () => {
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/toy?preset=intro`);
    const s = await waitForState(page, () => (window.polytope.state().toy?.step ?? 0) >= 100, null, 60000);
    assert(s.toy.backend === 'cpu' && s.compute.backend === 'cpu', 'CPU backend');
    assert(await page.isVisible('[data-testid=fallback-notice]'), 'notice');
    await screenshot(page, 'toy-cpu-fallback');
    assertNoErrors(errors, 'cpu toy');
    await context.close();
  });

  test('a lost GPU device: training resumes on a new device, then on the CPU, from the last snapshot', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro`);
    await waitForState(page, () => (window.polytope.state().toy?.step ?? 0) >= 10, null, 60000);
    assert((await page.evaluate(() => window.polytope.loseDevice())) === true, 'there was a device to lose');
    let s = await waitForState(page, () => /new GPU device/.test(window.polytope.state().toy.message ?? ''), null, 60000);
    assert(/resumed on a new GPU device from step \d+/.test(s.toy.message), `message ${s.toy.message}`);
    assert(s.toy.backend === 'gpu' && s.compute.backend === 'webgpu', `compute ${JSON.stringify(s.compute)}`);
    await waitForState(page, (n) => window.polytope.state().toy.step > n + 5, s.toy.step, 60000);
    assert((await page.evaluate(() => window.polytope.loseDevice())) === true, 'the new device can be lost too');
    s = await waitForState(page, () => window.polytope.state().toy.backend === 'cpu', null, 60000);
    assert(s.compute.backend === 'cpu' && s.compute.reason === 'lost', `compute ${JSON.stringify(s.compute)}`);
    assert(/resumed on the CPU from step \d+/.test(s.toy.message), `message ${s.toy.message}`);
    const step = s.toy.step;
    await waitForState(page, (n) => window.polytope.state().toy.step > n + 20, step, 60000);
    assert(await page.isVisible('[data-testid=run-message]'), 'the message is shown');
    // Chromium logs the destroyed device itself; nothing else may fail.
    assertNoErrors(errors.filter((e) => !/destroyed|lost/i.test(e)), 'device loss');
    await context.close();
  });

  test('classroom: hide= hides controls, projector mode and Chinese text', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro&hide=lr,batch,seed&projector=1&lang=zh&autoplay=0`);
    await page.waitForSelector('[data-control=model]');
    for (const name of ['lr', 'batch', 'seed']) {
      assert((await page.$(`[data-control=${name}]`)) === null, `${name} hidden`);
    }
    assert((await page.textContent('[data-testid=preset-about]')).includes('五边形'), 'Chinese preset explanation');
    await screenshot(page, 'toy-classroom-zh');
    assertNoErrors(errors, 'classroom');
    await context.close();
  });

  test('geometry page: dimensions per feature and the energy levels update while training', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/geometry?preset=intro&backend=cpu`);
    const s = await waitForState(page, () => (window.polytope.state().geometry?.step ?? 0) >= 300, null, 120000);
    assert(s.page === 'geometry', 'page');
    const last = s.geometry.report.instances[9];
    assert(last.dims_per_feature < 0.9, `D* of the sparsest instance ${last.dims_per_feature}`);
    const box = await page.locator('[data-panel=dims] canvas').boundingBox();
    assert(box.width > 300, 'plot drawn');
    await screenshot(page, 'geometry');
    assertNoErrors(errors, 'geometry');
    await context.close();
  });

  test('phase page fills its grid', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/phase?resolution=8&models=3&steps=600`);
    const s = await waitForState(page, () => window.polytope.state().phase?.status === 'done', null, 300000);
    assert(s.phase.classified === 64 && s.phase.cells.length === 64, `classified ${s.phase.classified}`);
    const regimes = new Set(s.phase.cells.map((c) => c.regime));
    assert(regimes.has('superposition') && (regimes.has('dedicated') || regimes.has('not-learned')), `regimes ${[...regimes]}`);
    // Sparse cells superpose the extra feature more often than dense ones.
    const sup = (rows) => s.phase.cells.filter((c, i) => rows.includes(Math.floor(i / 8)) && c.regime === 'superposition').length;
    assert(sup([6, 7]) > sup([0, 1]), 'superposition grows with sparsity');
    await screenshot(page, 'phase');
    assertNoErrors(errors, 'phase');
    await context.close();
  });
}
