// The guided tour: every step's widget computes in the page (here on the CPU path, as for a
// visitor without WebGPU) and reaches the point its step makes (state().tour.goal_met), in
// English and in Chinese, moving with the keyboard; embeds, aliases and a slow CPU.
import { assert, assertFits, assertNoErrors, openPage, screenshot, serve, state, test, waitForState } from './lib.mjs';

const PHONE = { width: 390, height: 844 };
// A step's widget must make its point within this long (the issue asks about 20 s on the
// CPU fallback for the toy-model steps; the language-model steps load and run a model first).
const GOAL_MS = 90000;
// The language-model steps run the model over sample windows and encode them with up to four
// dictionaries in the page: splitting took 29 s on 2026-12-04 and 57 s on 2026-12-05 here.
const LM_GOAL_MS = 150000;
const LM_STEPS = new Set(['polysemantic', 'real-model', 'god-feature', 'splitting', 'neurons-vs-features', 'universality']);

async function waitGoal(page, slug) {
  try {
    return await waitForState(
      page,
      (s) => window.polytope.state().tour?.step === s && window.polytope.state().tour.goal_met === true,
      slug,
      LM_STEPS.has(slug) ? LM_GOAL_MS : GOAL_MS,
    );
  } catch (err) {
    const t = (await state(page)).tour;
    throw new Error(`${slug}: goal not met: ${JSON.stringify(t).slice(0, 600)}`);
  }
}

async function walk(ctx, lang, viewport) {
  const q = lang === 'zh' ? '?lang=zh' : '';
  const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/${q}`, { viewport });
  await page.click('[data-testid=start-tour]');
  let s = await waitForState(page, () => window.polytope.state().tour?.index === 0, null, 20000);
  const steps = s.tour.steps;
  assert(steps >= 12, `${steps} steps`);
  const times = [];
  for (let i = 0; i < steps; i += 1) {
    s = await state(page);
    assert(s.tour.index === i, `step ${i}: at ${s.tour.index}`);
    const t0 = Date.now();
    // A reader scrolls to the widget (on a phone it is below the text; out of view it waits).
    await page.locator('.tour-widget').scrollIntoViewIfNeeded();
    await waitGoal(page, s.tour.step);
    if (s.tour.step === 'neurons-vs-features') {
      // The page's measure is the one the data ships (docs/interpretability.md), and the
      // shipped medians over every evaluation token tell the same story.
      const w = (await waitForState(page, () => window.polytope.state().tour.widget?.shipped, null, 30000)).tour.widget;
      assert(w.measure === 'token_rule', `measure ${w.measure}`);
      assert(w.scored.every((n) => n >= 20), `scored units ${w.scored}`);
      const m = w.shipped;
      assert(m.median_features > m.median_neurons + 0.2 && m.median_features > m.median_random + 0.2, `shipped medians ${JSON.stringify(m)}`);
      assert(await page.isVisible('[data-testid=tour-shipped] a'), 'a link to the dictionary overview');
    }
    if (s.tour.step === 'universality') {
      // Beside the page's own sample, the shipped universality medians over every evaluation
      // token (docs/interpretability.md): features far above neurons and random directions.
      const w = (await waitForState(page, () => window.polytope.state().tour.widget?.shipped, null, 30000)).tour.widget;
      const m = w.shipped;
      assert(w.measure === 'universality' && m.median_features > m.median_neurons + 0.2 && m.median_neurons > m.median_random, `shipped universality ${JSON.stringify(m)}`);
      assert(await page.isVisible('[data-testid=tour-shipped] a'), 'a link to the dictionary overview');
    }
    if (s.tour.step === 'splitting') {
      const href = await page.getAttribute('[data-testid=tour-family-tree] a', 'href');
      assert(href && href.endsWith('#family') && href.includes('/features/'), `family tree link ${href}`);
    }
    times.push(`${s.tour.step} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const title = await page.textContent('.tour-head .page-title');
    assert(title.trim() === s.tour.title, `title ${title} / ${s.tour.title}`);
    if (lang === 'zh') assert(/[\u4e00-\u9fff]/.test(title), `Chinese title: ${title}`);
    await screenshot(page, `tour-${lang}-${viewport.width}-${String(i + 1).padStart(2, '0')}-${s.tour.step}`);
    if (i + 1 < steps) {
      // The keyboard moves on (focus on the page, not in a field).
      await page.locator('.tour-head').click();
      await page.keyboard.press('ArrowRight');
      await waitForState(page, (n) => window.polytope.state().tour?.index === n, i + 1, 20000);
    }
  }
  console.log(`       ${lang} ${viewport.width}px: ${times.join(' · ')}`);
  assertNoErrors(errors, `tour ${lang}`);
  await context.close();
}

export function tourTests(ctx) {
  test('tour: the home page starts it and every step reaches its point, with the keyboard (English, desktop)', async () => {
    await walk(ctx, 'en', { width: 1280, height: 860 });
  });

  test('tour: every step reaches its point in Chinese on a phone', async () => {
    await walk(ctx, 'zh', PHONE);
  });

  test('tour: addresses, aliases, an unknown step, and an embed of one step', async () => {
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/tour?step=scaling`);
    let s = await waitForState(page, () => window.polytope.state().tour?.step === 'scaling', null, 20000);
    assert(s.tour.goal_met === true, 'the calculator agrees with the essay');
    const params = await page.textContent('[data-testid=tour-parameters]');
    assert(/2\.00 × 10\^10/.test(params), `parameters ${params}`);
    await page.goto(`${ctx.base}/tour/no-such-step`);
    await page.waitForSelector('[data-testid=tour-unknown]');
    s = await state(page);
    assert(s.tour.index === 0, 'an unknown step shows the first one');
    await context.close();

    const embed = await openPage(ctx.noGpu, `${ctx.base}/tour/five-in-two?embed=1`, { viewport: { width: 720, height: 480 } });
    await waitGoal(embed.page, 'five-in-two');
    assert(!(await embed.page.isVisible('.tour-nav')), 'no list of steps in an embed');
    assert(!(await embed.page.isVisible('.site-header')), 'no site header in an embed');
    assert(await embed.page.isVisible('.embed-link a'), 'a link back to the tour');
    console.log(`       tour embed at 720 x 480: ${await assertFits(embed.page, 'tour embed five-in-two', { minPlot: 200 })}`);
    await screenshot(embed.page, 'tour-embed-five-in-two');
    assertNoErrors([...errors, ...embed.errors], 'tour addresses');
    await embed.context.close();
  });

  test('tour: prepared once for offline use, a language-model step runs with the server gone', async () => {
    const { server, base } = await serve();
    try {
      const { page, errors, context } = await openPage(ctx.noGpu, `${base}/tour/five-in-two?lang=zh`);
      await page.evaluate(async () => { await navigator.serviceWorker.ready; });
      await page.click('[data-testid=tour-offline]');
      const s = await waitForState(page, () => ['ready', 'failed', 'no-worker'].includes(window.polytope.state().tour_offline?.status), null, 120000);
      assert(s.tour_offline.status === 'ready' && s.tour_offline.files >= 10, `prepared: ${JSON.stringify(s.tour_offline)}`);
      const line = await page.textContent('[data-testid=tour-offline-status]');
      assert(line.includes('已就绪') && line.includes(String(s.tour_offline.files)), `status line: ${line}`);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      // A step this page never opened, loaded from nothing but the caches.
      await page.goto(`${base}/tour/god-feature?lang=zh`);
      await waitGoal(page, 'god-feature');
      const after = await state(page);
      assert(after.tour.widget.live_top > 0 && after.tour.widget.feature, `the God feature offline: ${JSON.stringify(after.tour.widget).slice(0, 200)}`);
      assertNoErrors(errors.filter((e) => !/Failed to load resource|net::ERR/.test(e)), 'offline tour');
      await context.close();
    } finally {
      server.close();
    }
  });

  test('tour: with the CPU four times slower, the toy-model steps still reach their point', async () => {
    for (const slug of ['five-in-two', 'decoding']) {
      const { page, context } = await openPage(ctx.noGpu, `${ctx.base}/tour/${slug}`);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      const t0 = Date.now();
      await waitGoal(page, slug);
      console.log(`       ${slug} at 4x CPU throttling: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await context.close();
    }
  });

  test('tour: a widget scrolled out of view waits, and goes on when it is back', async () => {
    const { page, context } = await openPage(ctx.noGpu, `${ctx.base}/tour/sparsity`, { viewport: PHONE });
    await page.locator('.tour-run').scrollIntoViewIfNeeded();
    await waitForState(page, () => (window.polytope.state().tour?.widget?.step ?? 0) > 0, null, 30000);
    await page.evaluate(() => {
      const spacer = document.createElement('div');
      spacer.style.height = '5000px';
      document.querySelector('.tour-step').prepend(spacer);
      window.scrollTo(0, 0);
    });
    await page.waitForSelector('[data-testid=suspended]', { timeout: 10000 });
    const a = (await state(page)).tour.widget.step;
    await page.waitForTimeout(1500);
    const b = (await state(page)).tour.widget.step;
    assert(a === b, `no training out of view (${a} -> ${b})`);
    await page.evaluate(() => document.querySelector('.tour-run').scrollIntoView());
    await waitForState(page, (n) => window.polytope.state().tour.widget.step > n, b, 30000);
    await context.close();
  });
}
