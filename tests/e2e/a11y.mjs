// Accessibility: axe-core on every page and state the suite visits (both languages, both
// themes), a keyboard walk (plots, tokens, the feature map, the theme toggle), translated
// aria-labels, projector text sizes on canvas, reduced motion, and screenshots at desktop and
// phone sizes in both languages and themes for review.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { assert, assertNoErrors, screenshot, state, test, waitForState } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

// A page function is sent to the browser as source text, so it cannot close over `name`:
// each section gets its own function.
const STEP_READY = {
  toy: () => (window.polytope.state().toy?.step ?? 0) >= 20,
  // Dimensions per feature trains 20 models of 200 features: about 0.2 steps/s on SwiftShader's
  // WebGPU here (2026-12-05), so wait for the plots of a few steps, not for 20.
  geometry: () => (window.polytope.state().geometry?.step ?? window.polytope.state().toy?.step ?? 0) >= 3,
  sae: () => (window.polytope.state().sae?.step ?? 0) >= 20,
};
const step = (name) => STEP_READY[name];
const featuresLoaded = () => window.polytope.state().features?.loaded === true;

/// Hovers the feature map until it names a feature, then runs the custom text and picks a
/// token, so that the map's tooltip and the token list are in the page.
async function mapAndCustomText(page) {
  const map = page.locator('[data-testid=feature-map]');
  await map.scrollIntoViewIfNeeded();
  const box = await map.boundingBox();
  for (let k = 0; k < 40; k++) {
    await page.mouse.move(box.x + box.width * (0.1 + 0.02 * k), box.y + box.height * 0.5);
    if (await page.isVisible('[data-testid=map-tooltip]')) break;
  }
  await page.waitForFunction(() => document.querySelector('[data-testid=custom-text]')?.value.length > 0, null, { timeout: 60000 });
  await page.click('[data-testid=custom-run]');
  await page.waitForFunction(() => window.polytope.state().features.custom?.status === 'done', null, { timeout: 120000 });
  await page.locator('[data-testid=custom-tokens] .tok-click').nth(3).click();
  await page.waitForSelector('[data-testid=token-features]');
}

/// The pages and states to check: the address and what to wait for (or do) before scanning.
export const STATES = [
  { name: 'home', path: '/' },
  { name: 'toy', path: '/toy?preset=intro&seed=1', ready: step('toy') },
  { name: 'geometry', path: '/geometry', ready: step('geometry') },
  { name: 'phase', path: '/phase?resolution=4&models=2&steps=200', ready: () => !!window.polytope.state().phase },
  { name: 'sae', path: '/sae', ready: step('sae') },
  { name: 'sae-toy', path: '/sae?source=toy', ready: step('sae') },
  { name: 'features', path: '/features', ready: featuresLoaded },
  { name: 'feature-718', path: '/features/a-4096/718', ready: featuresLoaded, after: mapAndCustomText },
  { name: 'compute', path: '/compute', ready: () => !!window.polytope.state().selfcheck },
];

/// Opens `url` in a new context (options: viewport, reducedMotion, colorScheme...) after
/// running `init` in every document, and waits for the app to mount.
export async function open(browser, url, { init, ...options } = {}) {
  const context = await browser.newContext({ viewport: DESKTOP, ...options });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.polytope && window.polytope.state().page, null, { timeout: 20000 });
  return { page, context, errors };
}

/// Runs axe-core in the page and returns its violations (rule, impact, nodes).
export async function axe(page) {
  // Evaluated through the DevTools protocol: the page's CSP (no inline scripts) stays on.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
}

const serious = (violations) => violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

function describe(violations) {
  return violations
    .map((v) => `${v.impact} ${v.id} (${v.help}) x${v.nodes.length}: ${v.nodes.slice(0, 4).join(' | ')}`)
    .join('\n  ');
}

const withParams = (path, params) => {
  const p = params.filter(Boolean);
  if (p.length === 0) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${p.join('&')}`;
};

/// Opens every state in `langs` x `themes` and returns `{label: violations}`.
export async function scanAll(browser, base, { langs = ['en', 'zh'], themes = [null], states = STATES, log = console.log } = {}) {
  const results = {};
  for (const st of states) {
    for (const lang of langs) {
      for (const theme of themes) {
        const url = `${base}${withParams(st.path, [lang === 'zh' && 'lang=zh', theme && `theme=${theme}`])}`;
        const { page, errors, context } = await open(browser, url);
        const label = `${st.name} ${lang}${theme ? ` ${theme}` : ''}`;
        try {
          if (st.ready) await page.waitForFunction(st.ready, null, { timeout: 120000, polling: 100 });
          if (st.after) await st.after(page);
        } catch (err) {
          // A page left open would keep training and slow every later test down.
          await context.close();
          throw new Error(`${label}: not ready: ${err.message}`);
        }
        results[label] = await axe(page);
        const bad = serious(results[label]);
        log(`       axe ${label}: ${results[label].length} violations, ${bad.length} serious or critical${bad.length ? `\n  ${describe(bad)}` : ''}`);
        results[label].errors = errors;
        await context.close();
      }
    }
  }
  return results;
}

/// Records the size of every piece of text drawn on a canvas, in CSS pixels (the canvas is
/// drawn at device resolution: its font size times clientWidth / width).
function recordCanvasText() {
  window.__canvasText = [];
  const proto = CanvasRenderingContext2D.prototype;
  const fillText = proto.fillText;
  proto.fillText = function (text, ...rest) {
    const t = String(text);
    const m = /([\d.]+)px/.exec(this.font);
    if (t.trim() !== '' && m && this.canvas.width > 0) {
      window.__canvasText.push({
        css: (Number(m[1]) * this.canvas.clientWidth) / this.canvas.width,
        text: t,
        plot: this.canvas.closest('[data-plot]')?.getAttribute('data-plot') ?? this.canvas.getAttribute('data-testid') ?? '?',
      });
    }
    return fillText.call(this, text, ...rest);
  };
}

/// Presses Tab until `selector` has focus (at most `limit` times).
async function tabTo(page, selector, limit = 120) {
  for (let k = 0; k < limit; k++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return k;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} not reached with Tab in ${limit} presses`);
}

const CJK = /[\u3400-\u9fff]/;

// The whole matrix (every page and state in both languages and both themes, and the review
// screenshots) takes about 11 minutes here; `./dev test` runs a representative slice (Chinese
// in the dark theme: the strings and colours most likely to break) unless E2E_FULL=1.
const FULL = process.env.E2E_FULL === '1';

export function a11yTests(ctx) {
  test('a11y: axe-core finds no serious or critical violation on any page, state, language or theme', async () => {
    const results = await scanAll(ctx.gpu, ctx.base, FULL ? { themes: ['light', 'dark'] } : { langs: ['zh'], themes: ['dark'] });
    const failures = Object.entries(results).filter(([, v]) => serious(v).length > 0);
    const all = Object.values(results).flat();
    const count = (impact) => all.filter((v) => v.impact === impact).length;
    console.log(`       axe over ${Object.keys(results).length} scans: critical ${count('critical')}, serious ${count('serious')}, moderate ${count('moderate')}, minor ${count('minor')}`);
    assert(failures.length === 0, failures.map(([k, v]) => `${k}:\n  ${describe(serious(v))}`).join('\n'));
    for (const [k, v] of Object.entries(results)) assertNoErrors(v.errors, k);
  });

  test('a11y: the keyboard reaches and works every plot control, the theme toggle, tokens and the map', async () => {
    // Plots: Tab reaches the canvas, arrows move the cursor, Enter highlights the feature.
    const { page, errors, context } = await open(ctx.gpu, `${ctx.base}/toy?preset=intro&seed=1`);
    await waitForState(page, () => (window.polytope.state().toy?.step ?? 0) >= 50);
    const toggleTabs = await tabTo(page, '[data-testid=theme-toggle]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
    assert(page.url().includes('theme=dark'), `theme in the address: ${page.url()}`);
    assert((await state(page)).theme === 'dark', 'state().theme');
    const tabs = await tabTo(page, '[data-plot=vectors] canvas');
    console.log(`       theme toggle after ${toggleTabs} Tabs, the vectors plot after ${tabs} more`);
    const focusStyle = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert(focusStyle !== 'none', `visible focus on the plot: outline ${focusStyle}`);
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('[data-plot=vectors] .plot-cursor');
    let tip = await page.textContent('[data-plot=vectors] .plot-tooltip');
    assert(/^feature 0: W = \(/.test(tip.trim()), `tooltip at the cursor: ${tip}`);
    await page.keyboard.press('Enter');
    await waitForState(page, () => window.polytope.state().toy.highlight_feature === 0);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press(' ');
    await waitForState(page, () => window.polytope.state().toy.highlight_feature === 1);
    tip = await page.textContent('[data-plot=vectors] .plot-tooltip');
    assert(tip.includes('feature 1'), `tooltip follows: ${tip}`);
    const live = await page.textContent('[data-plot=vectors] [aria-live]');
    assert(live.includes('feature 1'), `announced: ${live}`);
    // The loss plot walks instances; Enter selects one.
    await page.focus('[data-plot=loss] canvas');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await waitForState(page, () => window.polytope.state().toy.selected_instance === 1);
    await screenshot(page, 'a11y-keyboard-toy-dark');
    assertNoErrors(errors, 'keyboard toy');
    await context.close();

    // Tokens and the map on a feature page.
    const f = await open(ctx.noGpu, `${ctx.base}/features/a-4096/718`);
    await waitForState(f.page, () => window.polytope.state().features?.loaded === true);
    await f.page.waitForSelector('[data-testid=top-examples] .tok-focus[tabindex="0"]');
    await f.page.focus('[data-testid=top-examples] .tok-focus[tabindex="0"]');
    const first = await f.page.evaluate(() => document.activeElement.dataset.eval);
    await f.page.keyboard.press('ArrowRight');
    const second = await f.page.evaluate(() => ({ eval: document.activeElement.dataset.eval, tab: document.activeElement.getAttribute('tabindex') }));
    assert(Number(second.eval) === Number(first) + 1 && second.tab === '0', `roving focus: ${first} -> ${JSON.stringify(second)}`);
    await f.page.keyboard.press('ArrowDown');
    const down = await f.page.evaluate(() => document.activeElement.closest('.example') !== document.querySelector('[data-testid=top-examples] .example'));
    assert(down, 'Down moves to the next example');
    // Enter runs the example in "Your text" and lists the features at the token.
    await f.page.keyboard.press('Enter');
    await waitForState(f.page, () => window.polytope.state().features.custom?.status === 'done', null, 120000);
    await f.page.waitForSelector('[data-testid=token-features] li a');
    const focusedToken = await f.page.evaluate(() => document.activeElement.closest('[data-testid=custom-tokens]') !== null);
    assert(focusedToken, 'focus moves to the token in "Your text"');
    const listed = await f.page.locator('[data-testid=token-features] li a').count();
    assert(listed > 0, 'features at the token');
    assert(await f.page.locator('[data-testid=token-features] [data-link-feature="718"]').count() === 1, 'the open feature is active at its own top token');
    // Custom-text tokens: Right then Enter picks the next token.
    const before = await f.page.evaluate(() => document.activeElement.dataset.token);
    await f.page.keyboard.press('ArrowRight');
    await f.page.keyboard.press('Enter');
    await f.page.waitForFunction((b) => document.querySelector('[data-testid=custom-tokens] .picked')?.dataset.token === String(Number(b) + 1), before);
    // The map: keys pan and zoom, Enter opens the feature nearest the centre.
    await f.page.focus('[data-testid=feature-map]');
    await f.page.waitForFunction(() => /#\d+/.test(document.querySelector('[data-testid=map-centre]')?.textContent ?? ''));
    const centre0 = await f.page.textContent('[data-testid=map-centre]');
    for (let k = 0; k < 3; k++) await f.page.keyboard.press('ArrowRight');
    for (let k = 0; k < 4; k++) await f.page.keyboard.press('+');
    await f.page.waitForFunction((c) => document.querySelector('[data-testid=map-centre]').textContent !== c, centre0);
    const centre = await f.page.textContent('[data-testid=map-centre]');
    const id = Number(/#(\d+)/.exec(centre)[1]);
    await f.page.keyboard.press('Enter');
    await waitForState(f.page, (x) => window.polytope.state().features.feature === x, id);
    console.log(`       map: centre ${centre0.trim()} -> ${centre.trim()}, Enter opened #${id}`);
    await screenshot(f.page, 'a11y-keyboard-features');
    assertNoErrors(f.errors, 'keyboard features');
    await f.context.close();
  });

  test('a11y: every aria-label and accessible title is translated in Chinese', async () => {
    for (const path of ['/toy?preset=intro&lang=zh', '/features/a-4096/718?lang=zh', '/sae?lang=zh', '/geometry?lang=zh']) {
      const { page, errors, context } = await open(ctx.gpu, `${ctx.base}${path}`);
      await page.waitForTimeout(1500);
      if (path.startsWith('/features')) await waitForState(page, () => window.polytope.state().features?.loaded === true);
      const labels = await page.evaluate(() =>
        [...document.querySelectorAll('[aria-label], [title]')]
          .filter((e) => !e.closest('[translate=no]') && e.getAttribute('translate') !== 'no')
          .map((e) => ({ tag: e.tagName, label: e.getAttribute('aria-label') ?? e.getAttribute('title') }))
          .filter((x) => x.label && !/^[\d\s.,:·+−-]*$/.test(x.label)),
      );
      const english = labels.filter((x) => !CJK.test(x.label));
      assert(english.length === 0, `${path}: untranslated labels ${JSON.stringify(english.slice(0, 8))}`);
      assertNoErrors(errors, path);
      await context.close();
    }
  });

  test('a11y: projector mode draws no plot text smaller than 18 CSS px at 1024x768', async () => {
    const viewport = { width: 1024, height: 768 };
    const pages = [
      ['/toy?preset=intro&seed=1', step('toy')],
      ['/toy?preset=privileged-basis', step('toy')],
      ['/toy?preset=sparsity-sweep', step('toy')],
      ['/geometry', step('geometry')],
      // The grid's plot draws once the first cells train (CI once measured before any text).
      ['/phase?resolution=6&models=2&steps=300', () => (window.polytope.state().phase?.step ?? 0) > 0],
      ['/sae', step('sae')],
      ['/sae?source=toy', step('sae')],
    ];
    // Without projector mode some text is smaller: the measurement sees the plots' text.
    const plain = await open(ctx.gpu, `${ctx.base}/toy?preset=intro&seed=1`, { viewport, init: recordCanvasText });
    await plain.page.waitForFunction(step('toy'), null, { timeout: 60000 });
    await plain.page.waitForTimeout(1000);
    const plainMin = Math.min(...(await plain.page.evaluate(() => window.__canvasText.map((t) => t.css))));
    assert(plainMin < 14, `without projector mode the smallest plot text is ${plainMin} px`);
    await plain.context.close();
    for (const [path, ready] of pages) {
      for (const lang of ['en', 'zh']) {
        const url = `${ctx.base}${withParams(path, ['projector=1', lang === 'zh' && 'lang=zh'])}`;
        const { page, errors, context } = await open(ctx.gpu, url, { viewport, init: recordCanvasText });
        await page.waitForFunction(ready, null, { timeout: 120000, polling: 100 });
        // Scroll through the page so that every plot is drawn, then let the last frames land.
        await page.evaluate(async () => {
          for (let y = 0; y < document.body.scrollHeight; y += 500) {
            window.scrollTo(0, y);
            await new Promise((r) => setTimeout(r, 150));
          }
        });
        await page.waitForTimeout(800);
        await page.waitForFunction(() => window.__canvasText.length > 0, null, { timeout: 30000 }).catch(() => {});
        const texts = await page.evaluate(() => window.__canvasText);
        const plots = new Set(texts.map((t) => t.plot));
        const small = texts.filter((t) => t.css < 18 - 1e-6);
        assert(texts.length > 0, `${url}: no plot text recorded`);
        assert(small.length === 0, `${url}: text under 18 px: ${JSON.stringify(small.slice(0, 6))}`);
        if (lang === 'en') console.log(`       ${path}: ${texts.length} texts in ${plots.size} plots (${[...plots].join(', ')}), smallest ${Math.min(...texts.map((t) => t.css)).toFixed(1)} px`);
        if (path === '/toy?preset=sparsity-sweep') await screenshot(page, `a11y-projector-1024-${lang}`);
        assertNoErrors(errors, url);
        await context.close();
      }
    }
  });

  test('a11y: reduced motion turns transitions off and training still runs', async () => {
    const reduced = await open(ctx.gpu, `${ctx.base}/toy?preset=intro&seed=1`, { reducedMotion: 'reduce' });
    const s = await waitForState(reduced.page, () => (window.polytope.state().toy?.step ?? 0) >= 100, null, 120000);
    assert(s.toy.step >= 100, 'training runs');
    const reducedDuration = await reduced.page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.button, .mini')).transitionDuration));
    assert(reducedDuration < 0.01, `transition ${reducedDuration} s with reduced motion`);
    assertNoErrors(reduced.errors, 'reduced motion');
    await reduced.context.close();
    const normal = await open(ctx.gpu, `${ctx.base}/toy?preset=intro&seed=1`);
    const normalDuration = await normal.page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.button, .mini')).transitionDuration));
    assert(normalDuration > 0.05, `transition ${normalDuration} s normally`);
    await normal.context.close();
  });

  test('a11y: the system colour scheme picks the theme unless the address does', async () => {
    const dark = await open(ctx.gpu, `${ctx.base}/compute`, { colorScheme: 'dark' });
    assert((await state(dark.page)).theme === 'dark', 'dark system: dark theme');
    await dark.page.goto(`${ctx.base}/compute?theme=light`);
    await dark.page.waitForFunction(() => window.polytope?.state().page === 'compute');
    assert((await state(dark.page)).theme === 'light', 'theme=light wins over the system');
    const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert(bg === 'rgb(251, 250, 247)', `light paper: ${bg}`);
    await dark.context.close();
  });

  if (FULL) test('a11y: screenshots at desktop and phone sizes, both languages and themes (E2E_FULL=1)', async () => {
    const pages = [
      ['toy', '/toy?preset=intro&seed=1', () => (window.polytope.state().toy?.step ?? 0) >= 150],
      ['features', '/features/a-4096/718', featuresLoaded],
      ['sae-toy', '/sae?source=toy', () => (window.polytope.state().sae?.step ?? 0) >= 150],
    ];
    for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      for (const lang of ['en', 'zh']) {
        for (const theme of ['light', 'dark']) {
          for (const [name, path, ready] of pages) {
            const url = `${ctx.base}${withParams(path, [lang === 'zh' && 'lang=zh', `theme=${theme}`])}`;
            const { page, errors, context } = await open(ctx.gpu, url, { viewport });
            await page.waitForFunction(ready, null, { timeout: 120000, polling: 100 });
            await page.waitForTimeout(600);
            if (size === 'phone') {
              const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
              assert(overflow <= 0, `${url}: ${overflow}px wider than the phone`);
            }
            await screenshot(page, `a11y-${name}-${size}-${lang}-${theme}`);
            assertNoErrors(errors, url);
            await context.close();
          }
        }
      }
    }
  });
}
