// A small end-to-end harness over playwright-core and the system Chromium: a static server
// for dist/, browsers with and without WebGPU, console-error capture, screenshots, and a
// minimal test runner that prints timings and exits non-zero on any failure.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../../tools/serve.mjs';

export const ARTIFACTS = join(process.cwd(), 'tests', 'e2e', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];

export async function launch({ webgpu = true } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: webgpu ? [...BASE_FLAGS, ...WEBGPU_FLAGS] : BASE_FLAGS,
  });
  if (webgpu) {
    // SwiftShader is a software adapter, which the app's automatic choice leaves for the CPU
    // path (compute.rs). The WebGPU browser's pages ask for WebGPU as a visitor who chose it
    // in the settings would (the remembered choice), unless a test passes `autoBackend: true`
    // to see the automatic choice.
    const newContext = browser.newContext.bind(browser);
    browser.newContext = async ({ autoBackend = false, ...options } = {}) => {
      const context = await newContext(options);
      if (!autoBackend) await context.addInitScript(() => localStorage.setItem('polytope.backend', 'webgpu'));
      return context;
    };
  }
  return browser;
}

export async function serve(options = {}) {
  const server = await startServer({ dir: 'dist', port: 0, ...options });
  const { port } = server.address();
  return { server, base: `http://127.0.0.1:${port}` };
}

/// Opens a page that records console errors and uncaught exceptions.
export async function openPage(browser, url, { viewport = { width: 1280, height: 860 }, autoBackend } = {}) {
  const context = await browser.newContext(autoBackend ? { viewport, autoBackend } : { viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await page.goto(url);
  try {
    await page.waitForFunction(() => window.polytope && window.polytope.state().page, null, {
      timeout: 20000,
    });
  } catch (err) {
    throw new Error(`${url} did not mount: ${err.message}\n  ${errors.join('\n  ')}`);
  }
  return { page, context, errors };
}

export const state = (page) => page.evaluate(() => window.polytope.state());

export async function waitForState(page, predicate, arg, timeout = 60000) {
  // After a page.goto the app may still be loading its wasm: a predicate that reads
  // window.polytope would throw (and fail the wait at once) instead of waiting.
  await page.waitForFunction(() => window.polytope && window.polytope.state(), null, { timeout, polling: 100 });
  await page.waitForFunction(predicate, arg, { timeout, polling: 100 });
  return state(page);
}

export async function screenshot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export function assertNoErrors(errors, where) {
  assert(errors.length === 0, `${where}: console errors:\n  ${errors.join('\n  ')}`);
}

const tests = [];
export function test(name, fn) {
  tests.push({ name, fn });
}

export async function run() {
  const only = process.env.E2E_ONLY;
  let failed = 0;
  const started = Date.now();
  for (const t of tests) {
    if (only && !t.name.includes(only)) continue;
    const t0 = Date.now();
    try {
      await t.fn();
      console.log(`  ok   ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed += 1;
      console.log(`  FAIL ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n       ${err.stack ?? err}`);
    }
  }
  const total = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`e2e: ${tests.length - failed} passed, ${failed} failed in ${total} s; screenshots in ${ARTIFACTS}`);
  return failed;
}

/// Asserts that an embed fits its frame: nothing scrolls (the page or inside it), and every
/// plot is fully in view and at least `minPlot` CSS pixels tall. Returns the plots' sizes.
export async function assertFits(page, where, { minPlot = 140 } = {}) {
  // Two frames for the layout and the canvases' resize to settle.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const m = await page.evaluate(() => {
    const root = document.scrollingElement;
    const plots = [...document.querySelectorAll('.plot-canvas')].map((c) => {
      const r = c.getBoundingClientRect();
      return { plot: c.closest('[data-plot]')?.dataset.plot, top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height, width: r.width };
    });
    return { scroll: root.scrollHeight, inner: window.innerHeight, width: window.innerWidth, scrollWidth: root.scrollWidth, plots };
  });
  assert(m.scroll <= m.inner + 1, `${where}: the page scrolls inside its ${m.width}x${m.inner} frame (${m.scroll} px tall)`);
  assert(m.scrollWidth <= m.width + 1, `${where}: the page is ${m.scrollWidth} px wide in a ${m.width} px frame`);
  assert(m.plots.length > 0, `${where}: no plot`);
  for (const p of m.plots) {
    assert(p.top >= 0 && p.bottom <= m.inner + 1 && p.right <= m.width + 1, `${where}: plot ${p.plot} is out of view: ${JSON.stringify(p)}`);
    assert(p.height >= minPlot, `${where}: plot ${p.plot} is only ${p.height.toFixed(0)} px tall`);
  }
  return m.plots.map((p) => `${p.plot} ${p.width.toFixed(0)}x${p.height.toFixed(0)}`).join(', ');
}
