// The app shell: mounting, routes and deep links, the compute panel on WebGPU and on the CPU
// fallback, the self-check's numbers, language, projector and phone layouts, and the CSP.
import { readFileSync } from 'node:fs';
import { assert, assertNoErrors, openPage, screenshot, serve, state, test, waitForState } from './lib.mjs';

export function shellTests(ctx) {
  test('home mounts without console errors', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/`);
    await page.waitForSelector('h1');
    const s = await state(page);
    assert(s.page === 'home', `page is ${s.page}`);
    assert(s.version === 1, 'API version 1');
    assert((await page.title()) === 'Polytope', 'title');
    await waitForState(page, () => window.polytope.state().compute.backend !== 'detecting');
    await screenshot(page, 'home');
    assertNoErrors(errors, 'home');
    await context.close();
  });

  test('compute page reports a WebGPU adapter and the kernels match the CPU', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/compute`);
    const s = await waitForState(page, () => window.polytope.state().selfcheck, null, 120000);
    assert(s.page === 'compute', `page is ${s.page}`);
    assert(s.compute.backend === 'webgpu', `backend ${JSON.stringify(s.compute)}`);
    assert(s.compute.adapter.max_storage_buffer_binding_size >= 128 * 1024 * 1024, 'storage binding limit');
    assert(!s.selfcheck.error, `self-check error: ${s.selfcheck.error}`);
    assert(s.selfcheck.backend === 'webgpu', 'self-check ran on WebGPU');
    assert(s.selfcheck.passed === true, `self-check failed: max diff ${s.selfcheck.max_abs_diff}`);
    assert(s.selfcheck.max_abs_diff <= s.selfcheck.tolerance, 'weights within tolerance');
    const loss = s.selfcheck.final_loss;
    assert(loss.length === 3 && loss.every((l) => l > 0 && l < 0.2), `final losses ${loss}`);
    for (let i = 0; i < 3; i++) {
      assert(Math.abs(loss[i] - s.selfcheck.cpu_final_loss[i]) < 1e-4, `instance ${i}: GPU ${loss[i]} vs CPU ${s.selfcheck.cpu_final_loss[i]}`);
    }
    assert(await page.isVisible('[data-testid=selfcheck-verdict]'), 'verdict shown');
    assert((await page.textContent('[data-testid=backend-name]')).includes('WebGPU'), 'backend shown');
    assert(!(await page.isVisible('[data-testid=fallback-notice]')), 'no fallback notice on WebGPU');
    ctx.gpuLoss = loss;
    console.log(`       WebGPU self-check: max |dW| ${s.selfcheck.max_abs_diff}, ${s.selfcheck.elapsed_ms.toFixed(0)} ms, adapter ${JSON.stringify(s.compute.adapter.device_type)}`);
    await screenshot(page, 'compute-webgpu');
    assertNoErrors(errors, 'compute');
    await context.close();
  });

  test('a software WebGPU adapter: the automatic choice trains on the CPU and says why; WebGPU can still be chosen, and is remembered', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?preset=intro&lang=zh`, { autoBackend: true });
    let s = await waitForState(page, () => window.polytope.state().compute.backend !== 'detecting' && (window.polytope.state().toy?.step ?? 0) >= 10, null, 60000);
    assert(s.compute.backend === 'cpu' && s.compute.reason === 'software' && s.toy.backend === 'cpu', `automatic on SwiftShader: ${JSON.stringify(s.compute)} / ${s.toy.backend}`);
    const notice = await page.textContent('[data-testid=fallback-notice] [data-reason=software]');
    assert(/[\u4e00-\u9fff]/.test(notice) && notice.includes('WebGPU'), `the reason in Chinese: ${notice}`);
    await screenshot(page, 'toy-software-adapter-zh');
    // The visitor chooses WebGPU: the same page moves to the adapter, the address says so.
    await page.selectOption('[data-control=backend] select', 'webgpu');
    s = await waitForState(page, () => window.polytope.state().toy?.backend === 'gpu', null, 60000);
    assert(s.compute.backend === 'webgpu' && page.url().includes('backend=webgpu'), `forced: ${JSON.stringify(s.compute)} ${page.url()}`);
    // Remembered: a later visit without the parameter uses WebGPU; choosing automatic forgets.
    await page.goto(`${ctx.base}/compute`);
    s = await waitForState(page, () => window.polytope.state().compute?.backend !== 'detecting' && window.polytope.state().selfcheck, null, 120000);
    assert(s.compute.backend === 'webgpu', `remembered: ${JSON.stringify(s.compute)}`);
    await page.goto(`${ctx.base}/toy?preset=intro`);
    await waitForState(page, () => window.polytope.state().toy?.backend === 'gpu', null, 60000);
    await page.selectOption('[data-control=backend] select', 'auto');
    assert(await page.evaluate(() => localStorage.getItem('polytope.backend')) === null, 'automatic forgets the choice');
    // Automatic again: training stays on the CPU, but the self-check still compares the
    // software adapter's kernels with the CPU.
    await page.goto(`${ctx.base}/compute`);
    s = await waitForState(page, () => window.polytope.state().selfcheck, null, 120000);
    assert(s.compute.reason === 'software' && s.selfcheck.backend === 'webgpu' && s.selfcheck.passed === true, `self-check ${JSON.stringify(s.selfcheck)}`);
    assertNoErrors(errors, 'software adapter');
    await context.close();
  });

  for (const variant of ['backend=cpu', 'no WebGPU in the browser']) {
    test(`CPU fallback (${variant}) shows a notice and computes the same numbers`, async () => {
      const browser = variant === 'backend=cpu' ? ctx.gpu : ctx.noGpu;
      const url = variant === 'backend=cpu' ? `${ctx.base}/compute?backend=cpu` : `${ctx.base}/compute`;
      const { page, errors, context } = await openPage(browser, url);
      const s = await waitForState(page, () => window.polytope.state().selfcheck, null, 120000);
      assert(s.compute.backend === 'cpu', `backend ${JSON.stringify(s.compute)}`);
      assert(s.compute.reason === (variant === 'backend=cpu' ? 'requested' : 'unavailable'), `reason ${s.compute.reason}`);
      assert(await page.isVisible('[data-testid=fallback-notice]'), 'fallback notice visible');
      const notice = await page.textContent('[data-testid=fallback-notice]');
      assert(notice.includes('CPU'), `notice text: ${notice}`);
      assert(s.selfcheck.backend === 'cpu', 'self-check ran on the CPU');
      if (ctx.gpuLoss) {
        for (let i = 0; i < 3; i++) {
          assert(Math.abs(s.selfcheck.final_loss[i] - ctx.gpuLoss[i]) < 1e-4, `instance ${i}: CPU ${s.selfcheck.final_loss[i]} vs GPU ${ctx.gpuLoss[i]}`);
        }
      }
      await screenshot(page, variant === 'backend=cpu' ? 'compute-cpu-requested' : 'compute-no-webgpu');
      assertNoErrors(errors, variant);
      await context.close();
    });
  }

  test('deep links work through 404.html (as on GitHub Pages) and unknown pages say so', async () => {
    const { server, base } = await serve({ spa: false });
    const { page, errors, context } = await openPage(ctx.gpu, `${base}/compute?lang=zh`);
    // The document itself comes back as 404.html with status 404: the one expected error.
    const unexpected = errors.filter((e) => !e.includes('status of 404'));
    const s = await state(page);
    assert(s.page === 'compute' && s.lang === 'zh', `state ${s.page} ${s.lang}`);
    assert((await page.textContent('h1')).includes('计算设备'), 'Chinese heading');
    assert((await page.getAttribute('html', 'lang')) === 'zh-Hans', 'html lang');
    await page.goto(`${base}/no/such/page`);
    await page.waitForFunction(() => window.polytope?.state().page === 'not-found');
    assert((await page.textContent('h1')).length > 0, 'not-found heading');
    assertNoErrors(unexpected, 'deep links');
    await context.close();
    server.close();
  });

  test('language switch updates the text and the URL', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/compute`);
    await page.click('[data-testid=lang-switch]');
    await page.waitForFunction(() => window.polytope.state().lang === 'zh');
    assert(page.url().includes('lang=zh'), `url ${page.url()}`);
    assert((await page.textContent('h1')).includes('计算设备'), 'Chinese heading after switch');
    await screenshot(page, 'compute-zh');
    await page.click('[data-testid=lang-switch]');
    await page.waitForFunction(() => window.polytope.state().lang === 'en');
    assert(!page.url().includes('lang='), `url ${page.url()}`);
    assertNoErrors(errors, 'language');
    await context.close();
  });

  test('projector mode and phone layout', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/?projector=1`);
    const size = await page.evaluate(() => getComputedStyle(document.documentElement).fontSize);
    assert(size === '22px', `projector font size ${size}`);
    await screenshot(page, 'home-projector');
    await context.close();
    const phone = await openPage(ctx.gpu, `${ctx.base}/compute`, { viewport: { width: 390, height: 844 } });
    await waitForState(phone.page, () => window.polytope.state().selfcheck, null, 120000);
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `page is ${overflow}px wider than a phone screen`);
    await screenshot(phone.page, 'compute-phone');
    assertNoErrors([...errors, ...phone.errors], 'projector/phone');
    await phone.context.close();
  });

  test('the Content-Security-Policy allows no inline code but the hashed loader', async () => {
    const html = readFileSync('dist/index.html', 'utf8');
    const csp = html.match(/Content-Security-Policy"\s+content="([^"]+)"/)[1];
    assert(!csp.includes('unsafe-inline') && !csp.includes("'unsafe-eval'"), `CSP: ${csp}`);
    assert(/'sha256-[A-Za-z0-9+/=]+'/.test(csp), 'loader hash present');
    assert(!csp.includes('INLINE_SCRIPT_HASHES'), 'placeholder replaced');
    assert(readFileSync('dist/404.html', 'utf8') === html, '404.html equals index.html');
  });
}
