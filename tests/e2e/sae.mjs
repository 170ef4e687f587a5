// The SAE lab: /sae on WebGPU and on the CPU fallback.
import { assert, assertNoErrors, openPage, screenshot, test, waitForState } from './lib.mjs';

/// An activation file (docs/activation-format.md): f32 rows, no metadata.
export function activationFile(rows, dIn, value) {
  const header = Buffer.alloc(32);
  header.write('POLYACT1', 0, 'ascii');
  header.writeUInt32LE(1, 8);
  header.writeUInt32LE(0, 12);
  header.writeBigUInt64LE(BigInt(rows), 16);
  header.writeUInt32LE(dIn, 24);
  header.writeUInt32LE(0, 28);
  const data = Buffer.alloc(rows * dIn * 4);
  for (let r = 0; r < rows; r++) for (let k = 0; k < dIn; k++) data.writeFloatLE(value(r, k), (r * dIn + k) * 4);
  return Buffer.concat([header, data]);
}

const sae = (page) => page.evaluate(() => window.polytope.state().sae);

export function saeTests(ctx) {
  // The default settings on the CPU path (a software WebGPU adapter takes about 0.1 s per step
  // at these sizes (its barriers are slow), so the WebGPU run below is short; parity tests hold the two to each other).
  test('/sae trains on synthetic data and MMCS passes 0.9 with the default settings', async () => {
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/sae`);
    const started = Date.now();
    let s = await waitForState(page, () => (window.polytope.state().sae?.step ?? 0) >= 10, null, 60000);
    assert(s.page === 'sae', 'page');
    assert(s.sae.settings.source === 'synthetic' && s.sae.settings.variant === 'topk', JSON.stringify(s.sae.settings));
    const early = s.sae.metrics.mmcs;
    s = await waitForState(page, () => (window.polytope.state().sae?.metrics?.mmcs ?? 0) > 0.9, null, 400000);
    console.log(`       MMCS ${s.sae.metrics.mmcs.toFixed(3)} at step ${s.sae.step} after ${((Date.now() - started) / 1000).toFixed(0)} s on ${s.sae.backend} (from ${early?.toFixed(3)})`);
    assert(early < 0.9, `MMCS starts low: ${early}`);
    assert(s.sae.metrics.explained_variance > 0.5, `explained variance ${s.sae.metrics.explained_variance}`);
    assert(s.sae.metrics.l0 <= 4.0001, `TopK keeps L0 <= k: ${s.sae.metrics.l0}`);
    for (const panel of ['quality', 'loss', 'l0', 'density', 'cosine']) {
      assert(await page.isVisible(`[data-panel=${panel}] canvas`), `panel ${panel} visible`);
    }
    const shown = await page.textContent('[data-testid=mmcs]');
    assert(Number(shown) > 0.85, `MMCS shown on the page: ${shown}`);
    await screenshot(page, 'sae-synthetic');
    assertNoErrors(errors, 'sae');
    await context.close();
  });

  test('/sae trains on WebGPU: the dictionary improves and the plots draw', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/sae?steps=40&d_sae=64&seed=1`);
    const s = await waitForState(page, () => window.polytope.state().sae?.status === 'done', null, 200000);
    assert(s.sae.backend === 'gpu', `backend ${s.sae.backend}`);
    assert(s.sae.step === 40, `step ${s.sae.step}`);
    assert(s.sae.held_out.explained_variance > 0.1, `held-out ${JSON.stringify(s.sae.held_out)}`);
    assert(s.sae.report.backend === 'gpu', 'report backend');
    console.log(`       WebGPU: ${s.sae.steps_per_second.toFixed(1)} steps/s, MMCS ${s.sae.metrics.mmcs.toFixed(3)} after 40 steps`);
    for (const panel of ['quality', 'loss', 'l0', 'density', 'cosine']) {
      assert(await page.isVisible(`[data-panel=${panel}] canvas`), `panel ${panel} visible`);
    }
    await screenshot(page, 'sae-webgpu');
    assertNoErrors(errors, 'sae webgpu');
    await context.close();
  });

  test('/sae: switching variants restarts the run; l1-2023 resamples and marks it', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/sae?steps=800&d_sae=128&seed=2&backend=cpu`);
    await waitForState(page, () => (window.polytope.state().sae?.step ?? 0) >= 5, null, 60000);
    await page.selectOption('[data-control=variant] select', 'l1-2023');
    let s = await waitForState(
      page,
      () => {
        const t = window.polytope.state().sae;
        return t.settings.variant === 'l1-2023' && t.step >= 310;
      },
      null,
      300000,
    );
    assert(page.url().includes('variant=l1-2023'), `url ${page.url()}`);
    assert(s.sae.resamples.length >= 1 && s.sae.resamples[0][0] === 100, `resampling at steps/8: ${JSON.stringify(s.sae.resamples)}`);
    assert(await page.isVisible('[data-control=l1] input'), 'the L1 coefficient is a control for l1-2023');
    assert(!(await page.isVisible('[data-control=k] input')), 'k is hidden for l1-2023');
    await page.selectOption('[data-control=variant] select', 'jumprelu');
    s = await waitForState(
      page,
      () => {
        const t = window.polytope.state().sae;
        return t.settings.variant === 'jumprelu' && t.step >= 50;
      },
      null,
      120000,
    );
    assert(s.sae.report.variant === 'jumprelu', 'report follows');
    await screenshot(page, 'sae-jumprelu');
    assertNoErrors(errors, 'variants');
    await context.close();
  });

  test('/sae: CPU fallback trains to the end with a visible notice and a held-out evaluation', async () => {
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/sae?steps=600`);
    const s = await waitForState(page, () => (window.polytope.state().sae?.step ?? 0) >= 600 && window.polytope.state().sae.status === 'done', null, 200000);
    assert(s.sae.backend === 'cpu' && s.compute.backend === 'cpu', 'CPU backend');
    assert(await page.isVisible('[data-testid=fallback-notice]'), 'notice');
    assert(s.sae.held_out && s.sae.held_out.explained_variance > 0.1, `held-out ${JSON.stringify(s.sae.held_out)}`);
    assert(await page.isVisible('[data-testid=held-out]'), 'the held-out evaluation is shown');
    assert(s.sae.report.mmcs > 0.5, `report MMCS ${s.sae.report.mmcs}`);
    await screenshot(page, 'sae-cpu-fallback');
    assertNoErrors(errors, 'cpu sae');
    await context.close();
  });

  test('/sae: toy source: learned directions over the true pentagon, in an embed, with bad parameters reported', async () => {
    const url = `${ctx.base}/sae?source=toy&variant=l1-2024&d_sae=12&steps=1500&embed=1&panels=directions,quality&k=999&backend=cpu`;
    const { page, errors, context } = await openPage(ctx.gpu, url);
    const s = await waitForState(page, () => window.polytope.state().sae?.status === 'done', null, 300000);
    assert(s.sae.settings.source === 'toy' && s.sae.settings.d_sae === '12', JSON.stringify(s.sae.settings));
    assert(s.sae.setting_errors.some((e) => e.startsWith('k=')), `errors ${s.sae.setting_errors}`);
    assert(s.sae.source.includes('toy model'), s.sae.source);
    assert(s.sae.report.mmcs > 0.9, `toy MMCS ${s.sae.report.mmcs}`);
    assert(await page.isVisible('[data-panel=directions] canvas'), 'directions');
    assert(!(await page.isVisible('[data-panel=loss]')), 'loss panel hidden in this embed');
    assert(!(await page.isVisible('.site-header')), 'no site chrome in the embed');
    await screenshot(page, 'sae-toy-embed');
    assertNoErrors(errors, 'toy sae');
    await context.close();
  });

  test('/sae: an activation file trains; a broken one is refused with a clear message', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/sae?steps=300&d_sae=32&backend=cpu`);
    await waitForState(page, () => (window.polytope.state().sae?.step ?? 0) >= 1, null, 60000);
    const urlBefore = page.url();
    // 2000 rows in 8 dimensions: one or two of the basis directions active per row.
    const good = activationFile(2000, 8, (r, k) => (k === r % 8 ? 1 + (r % 5) * 0.1 : 0) + (k === (r * 3 + 1) % 8 ? 0.5 : 0));
    await page.setInputFiles('[data-testid=activation-file]', { name: 'acts.bin', mimeType: 'application/octet-stream', buffer: good });
    const s = await waitForState(page, () => {
      const t = window.polytope.state().sae;
      return t.source.startsWith('file acts.bin') && t.status === 'done';
    }, null, 120000);
    assert(s.sae.report.d_in === 8, `d_in ${s.sae.report.d_in}`);
    assert(s.sae.report.mmcs === null, 'a file has no ground truth');
    assert(s.sae.held_out.explained_variance > 0.5, `held-out ${JSON.stringify(s.sae.held_out)}`);
    assert(await page.isVisible('[data-testid=file-source]'), 'the file in use is named');
    assert(page.url() === urlBefore, `a file does not go into the address: ${page.url()}`);
    const bad = Buffer.concat([good.subarray(0, 40)]);
    await page.setInputFiles('[data-testid=activation-file]', { name: 'broken.bin', mimeType: 'application/octet-stream', buffer: bad });
    await page.waitForSelector('.settings-form [role=alert]', { timeout: 10000 });
    const message = await page.textContent('.settings-form [role=alert]');
    assert(/broken\.bin/.test(message), `message: ${message}`);
    const after = await page.evaluate(() => window.polytope.state().sae);
    assert(after.source.startsWith('file acts.bin') && after.status === 'done', 'the previous run is kept');
    await screenshot(page, 'sae-file');
    assertNoErrors(errors, 'sae file');
    await context.close();
  });

  test('/sae: a lost GPU device: training resumes on a new device, then on the CPU, and says so', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/sae?steps=300&d_sae=64`);
    await waitForState(page, () => (window.polytope.state().sae?.step ?? 0) >= 3 && window.polytope.state().sae.backend === 'gpu', null, 120000);
    assert((await page.evaluate(() => window.polytope.loseDevice())) === true, 'there was a device to lose');
    let s = await waitForState(page, () => /new GPU device/.test(window.polytope.state().sae.message ?? ''), null, 60000);
    assert(/resumed on a new GPU device from step \d+/.test(s.sae.message), `message ${s.sae.message}`);
    assert(s.sae.backend === 'gpu' && s.compute.backend === 'webgpu', `still on the GPU: ${s.sae.backend}`);
    // A second loss: the page has asked for a new device once already, so the CPU takes over.
    const step = s.sae.step;
    await waitForState(page, (n) => window.polytope.state().sae.step > n, step, 60000);
    assert((await page.evaluate(() => window.polytope.loseDevice())) === true, 'the new device can be lost too');
    s = await waitForState(page, () => window.polytope.state().sae.backend === 'cpu', null, 60000);
    assert(/resumed on the CPU from step \d+/.test(s.sae.message), `message ${s.sae.message}`);
    await waitForState(page, () => window.polytope.state().sae.status === 'done', null, 60000);
    assertNoErrors(errors.filter((e) => !/destroyed|lost/i.test(e)), 'sae device loss');
    await context.close();
  });

  test('/sae language-model source: activations computed in the browser, a dictionary trained and compared with the shipped one', async () => {
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/sae?source=lm&steps=300`);
    const started = Date.now();
    // The data loads and the model runs window by window, with a visible progress line.
    await page.waitForSelector('[data-testid=lm-progress]', { timeout: 30000 });
    let s = await waitForState(page, () => window.polytope.state().sae?.lm_progress?.stage === 'computing', null, 60000);
    const progress = await page.textContent('[data-testid=lm-progress]');
    assert(/computing activations: \d+ %/.test(progress), `progress line: ${progress}`);
    s = await waitForState(page, () => {
      const t = window.polytope.state().sae;
      return t?.lm_activations && t.source !== '';
    }, null, 300000);
    const acts = s.sae.lm_activations;
    const computeS = (Date.now() - started) / 1000;
    assert(acts.rows > 10000 && acts.rows <= 24000, `rows ${JSON.stringify(acts)}`);
    assert(s.sae.source.startsWith('language model A'), s.sae.source);
    assert(s.sae.settings.source === 'lm' && page.url().includes('source=lm'), `settings ${JSON.stringify(s.sae.settings)}`);
    s = await waitForState(page, () => window.polytope.state().sae?.status === 'done', null, 400000);
    const m = s.sae.metrics;
    console.log(`       ${acts.rows} rows from ${acts.windows} windows (${acts.tokens} tokens) in ${(acts.compute_ms / 1000).toFixed(1)} s of model time (${computeS.toFixed(0)} s to ready); ` +
      `${s.sae.steps_per_second.toFixed(1)} steps/s on ${s.sae.backend}; MMCS vs shipped ${m.shipped_dict} ${m.mmcs_shipped?.toFixed(3)} (reverse ${m.mmcs_shipped_reverse?.toFixed(3)}) at step ${m.mmcs_shipped_step}`);
    assert(s.sae.step === 300, `step ${s.sae.step}`);
    assert(m.shipped_dict === 'a-512', `shipped dictionary ${m.shipped_dict}`);
    assert(Number.isFinite(m.mmcs_shipped) && m.mmcs_shipped > 0.2, `MMCS vs shipped ${m.mmcs_shipped}`);
    assert(Number.isFinite(m.mmcs_shipped_reverse) && m.mmcs_shipped_reverse > 0.2, `reverse ${m.mmcs_shipped_reverse}`);
    assert(m.mmcs_shipped_step === 300, `compared at the end: ${m.mmcs_shipped_step}`);
    assert(m.mmcs === null, 'no ground truth for a language model');
    assert(s.sae.held_out.explained_variance > 0.3, `held-out ${JSON.stringify(s.sae.held_out)}`);
    assert(s.sae.report.d_in === 512 && s.sae.report.d_sae === 512, `report ${s.sae.report.d_in} -> ${s.sae.report.d_sae}`);
    const shown = await page.textContent('[data-testid=mmcs-shipped]');
    assert(/MMCS vs shipped a-512: 0\.\d\d \(shipped → lab 0\.\d\d\)/.test(shown), `shown: ${shown}`);
    assert(!(await page.isVisible('[data-testid=lm-progress]')), 'the progress line is gone');
    assert(await page.isVisible('[data-testid=lm-note]'), 'the source is explained');
    await screenshot(page, 'sae-lm');
    // A changed setting reuses the activations: the next run starts without recomputing.
    await page.fill('[data-control=d_sae] input', '256');
    await page.dispatchEvent('[data-control=d_sae] input', 'change');
    s = await waitForState(page, () => {
      const t = window.polytope.state().sae;
      return t.settings.d_sae === '256' && t.status === 'paused' && t.metrics.shipped_dict !== null;
    }, null, 30000);
    assert(s.sae.metrics.shipped_dict === 'a-512', `closest to 256: ${s.sae.metrics.shipped_dict}`);
    console.log(`       before training (d_sae 256): MMCS vs shipped ${s.sae.metrics.mmcs_shipped?.toFixed(3)} (reverse ${s.sae.metrics.mmcs_shipped_reverse?.toFixed(3)})`);
    assert(s.sae.metrics.mmcs_shipped < m.mmcs_shipped, 'training brought the dictionaries closer');
    assert(s.sae.lm_activations.rows === acts.rows, 'same activations');
    assertNoErrors(errors, 'sae lm');
    await context.close();
  });

  test('/sae language-model source: missing data is reported and the page stays usable', async () => {
    // No service worker, so that the route below sees every request.
    const context = await ctx.noGpu.newContext({ viewport: { width: 1280, height: 860 }, serviceWorkers: 'block' });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (msg) => msg.type() === 'error' && errors.push(`console: ${msg.text()}`));
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    await page.route(/\/data\/model-a\.bin/, (route) => route.fulfill({ status: 404, body: 'missing' }));
    await page.goto(`${ctx.base}/sae?source=lm&steps=50`);
    await page.waitForFunction(() => window.polytope && window.polytope.state().page, null, { timeout: 20000 });
    const s = await waitForState(page, () => window.polytope.state().sae?.status === 'failed', null, 60000);
    assert(/model-a\.bin/.test(s.sae.message) && /could not be loaded/.test(s.sae.message), `message ${s.sae.message}`);
    assert(await page.isVisible('[data-testid=run-message]'), 'the message is shown');
    // The address asked for training, so the next settings train at once (Run::training_wanted).
    await page.selectOption('[data-control=source] select', 'synthetic');
    await waitForState(page, () => (window.polytope.state().sae?.step ?? 0) >= 5, null, 60000);
    assertNoErrors(errors.filter((e) => !/404|Failed to load resource/.test(e)), 'sae lm missing data');
    await context.close();
  });

  test('/sae: in Chinese, a 3-D toy model with its directions dragged round', async () => {
    const url = `${ctx.base}/sae?lang=zh&source=toy&d_in=3&features=6&d_sae=16&steps=800&backend=cpu`;
    const { page, errors, context } = await openPage(ctx.gpu, url);
    const s = await waitForState(page, () => window.polytope.state().sae?.status === 'done', null, 120000);
    assert(s.lang === 'zh', 'lang');
    const title = await page.textContent('h1.page-title');
    assert(title.includes('稀疏自编码器实验室'), `title ${title}`);
    assert(s.sae.report.d_in === 3 && s.sae.report.mmcs > 0.8, `report ${JSON.stringify(s.sae.report).slice(0, 200)}`);
    const canvas = page.locator('[data-panel=directions] canvas');
    const box = await canvas.boundingBox();
    assert(box !== null, 'the 3-D directions are drawn');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 30, { steps: 6 });
    await page.mouse.up();
    await screenshot(page, 'sae-toy-3d-zh');
    assertNoErrors(errors, 'sae zh 3-d');
    await context.close();
  });
}
