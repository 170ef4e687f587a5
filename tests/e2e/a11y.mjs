// Accessibility: axe-core on every page and state the suite visits (both languages, both
// themes), keyboard use of plots, tokens and the feature map, projector text sizes on canvas,
// reduced motion, and screenshots at desktop and phone sizes for review.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { assert, assertNoErrors, openPage, screenshot, test, waitForState } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/// The pages and states to check: the address and what to wait for (or do) before scanning.
export const STATES = [
  { name: 'home', path: '/' },
  { name: 'toy', path: '/toy?preset=intro&seed=1', ready: () => (window.polytope.state().toy?.step ?? 0) >= 20 },
  { name: 'geometry', path: '/geometry', ready: () => (window.polytope.state().geometry?.step ?? window.polytope.state().toy?.step ?? 0) >= 20 },
  { name: 'phase', path: '/phase?resolution=4&models=2&steps=200' },
  { name: 'sae', path: '/sae', ready: () => (window.polytope.state().sae?.step ?? 0) >= 20 },
  { name: 'sae-toy', path: '/sae?source=toy', ready: () => (window.polytope.state().sae?.step ?? 0) >= 20 },
  { name: 'features', path: '/features', ready: () => window.polytope.state().features?.loaded === true },
  {
    name: 'feature-718',
    path: '/features/a-4096/718',
    ready: () => window.polytope.state().features?.loaded === true,
    // The map hovered and the custom text run with a token picked.
    after: async (page) => {
      const map = page.locator('[data-testid=feature-map]');
      await map.scrollIntoViewIfNeeded();
      const box = await map.boundingBox();
      for (let k = 0; k < 30; k++) {
        await page.mouse.move(box.x + box.width * (0.2 + 0.02 * k), box.y + box.height * 0.5);
        if (await page.isVisible('[data-testid=map-tooltip]')) break;
      }
      await page.waitForFunction(() => document.querySelector('[data-testid=custom-text]')?.value.length > 0, null, { timeout: 60000 });
      await page.click('[data-testid=custom-run]');
      await page.waitForFunction(() => window.polytope.state().features.custom?.status === 'done', null, { timeout: 120000 });
      await page.locator('[data-testid=custom-tokens] .tok-click').nth(3).click();
      await page.waitForSelector('[data-testid=token-features]');
    },
  },
  { name: 'compute', path: '/compute', ready: () => !!window.polytope.state().selfcheck },
];

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

/// Opens every state in `langs` x `themes` and returns `{label: violations}`.
export async function scanAll(browser, base, { langs = ['en', 'zh'], themes = [null], states = STATES, log = console.log } = {}) {
  const results = {};
  for (const st of states) {
    for (const lang of langs) {
      for (const theme of themes) {
        const params = [lang === 'zh' ? 'lang=zh' : null, theme ? `theme=${theme}` : null].filter(Boolean);
        const sep = st.path.includes('?') ? '&' : '?';
        const url = `${base}${st.path}${params.length ? sep + params.join('&') : ''}`;
        const { page, errors, context } = await openPage(browser, url);
        if (st.ready) await page.waitForFunction(st.ready, null, { timeout: 120000, polling: 100 });
        if (st.after) await st.after(page);
        const label = `${st.name} ${lang}${theme ? ` ${theme}` : ''}`;
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

export function a11yTests(ctx) {
  test('a11y: axe-core finds no serious or critical violation on any page, state, language or theme', async () => {
    const results = await scanAll(ctx.gpu, ctx.base, { themes: ['light', 'dark'] });
    const failures = Object.entries(results).filter(([, v]) => serious(v).length > 0);
    assert(failures.length === 0, failures.map(([k, v]) => `${k}:\n  ${describe(serious(v))}`).join('\n'));
    for (const [k, v] of Object.entries(results)) assertNoErrors(v.errors, k);
  });
}
