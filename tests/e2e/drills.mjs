// Hostile addresses and files: every drill of the hardening issue, asserting the outcome (the
// run is refused with a message that names the limit, or runs within it) and that the page
// keeps working afterwards (a setting changed in the page trains). The parsers' own bounds are
// fuzzed in crates/polytope-fuzz; the memory estimate is unit-tested in polytope-core and the app.
import { closeSync, openSync, ftruncateSync, mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activationFile } from './sae.mjs';
import { assert, assertNoErrors, openPage, screenshot, test, waitForState } from './lib.mjs';

const toy = (page) => page.evaluate(() => window.polytope.state().toy);
const sae = (page) => page.evaluate(() => window.polytope.state().sae);

/// The page is still the app (no crash card, the header and the form are there).
async function assertAlive(page, where) {
  assert((await page.locator('[data-testid=crash-card]').count()) === 0, `${where}: crash card`);
  assert(await page.isVisible('.site-header'), `${where}: the page has its header`);
  assert(await page.isVisible('.settings-form'), `${where}: the settings form is there`);
}

/// Types `value` into the settings field `name` and presses Enter.
async function setField(page, name, value) {
  await page.fill(`[data-control=${name}] input`, value);
  await page.press(`[data-control=${name}] input`, 'Enter');
}

export function drillTests(ctx) {
  test('drill: /toy?density=sweep:1:0.5:600000000 is refused before the list is built; the default runs', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?density=sweep:1:0.5:600000000`);
    await page.waitForSelector('[data-testid=setting-errors]');
    const shown = await page.textContent('[data-testid=setting-errors]');
    assert(/density/.test(shown) && /4096/.test(shown), `the error names the setting and its limit: ${shown}`);
    const s = await waitForState(page, () => window.polytope.state().toy.step > 0, null, 60000);
    assert(s.toy.status !== 'failed' && !('density' in s.toy.settings), `runs with the default density: ${JSON.stringify(s.toy.settings)}`);
    await assertAlive(page, 'density sweep');
    assertNoErrors(errors, 'density sweep');
    await context.close();
  });

  for (const [name, query] of [
    ['4096 instances of 4096 features', 'n=4096&m=64&density=sweep:1:0.01:4096'],
    ['200 instances at batch 65536', 'n=4096&m=64&density=sweep:1:0.01:200&batch=65536'],
  ]) {
    test(`drill: /toy?${query} (${name}) is refused with the page's memory limit; a preset then trains`, async () => {
      const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/toy?${query}`);
      const s = await waitForState(page, () => window.polytope.state().toy.status === 'failed', null, 30000);
      assert(/GiB/.test(s.toy.message) && /1\.0 GiB/.test(s.toy.message), `the message names the limit: ${s.toy.message}`);
      assert(await page.isVisible('[data-testid=run-message]'), 'the message is shown');
      await assertAlive(page, name);
      await screenshot(page, `drill-toy-${name.split(' ')[0]}`);
      await page.selectOption('[data-control=preset] select', 'intro');
      await waitForState(page, () => window.polytope.state().toy.step > 0 && window.polytope.state().toy.status !== 'failed', null, 60000);
      assert((await toy(page)).message === null || !/GiB/.test((await toy(page)).message), 'the refusal is gone');
      assertNoErrors(errors, name);
      await context.close();
    });
  }

  for (const [name, query] of [
    ['CPU', 'd_sae=16384&batch=8192&backend=cpu'],
    ['WebGPU', 'd_sae=16384&batch=8192&steps=2'],
  ]) {
    test(`drill: /sae?${query} (${name}) is refused with the page's memory limit; a smaller dictionary then trains`, async () => {
      const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/sae?${query}`);
      const s = await waitForState(page, () => window.polytope.state().sae?.status === 'failed', null, 30000);
      assert(/1\.0 GiB/.test(s.sae.message) && /activations/.test(s.sae.message), `the message names the limit and the largest part: ${s.sae.message}`);
      await assertAlive(page, `sae ${name}`);
      await setField(page, 'd_sae', '64');
      await waitForState(page, () => window.polytope.state().sae.step > 0, null, 60000);
      assert((await sae(page)).status !== 'failed', 'the smaller run trains');
      assertNoErrors(errors, `sae ${name}`);
      await context.close();
    });
  }

  test('drill: /sae?source=toy&density=1e-50 refuses a density that rounds to 0 in f32', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/sae?source=toy&density=1e-50&backend=cpu`);
    await page.waitForSelector('[data-testid=setting-errors]');
    const shown = await page.textContent('[data-testid=setting-errors]');
    assert(/density/.test(shown) && /1e-50/.test(shown), `errors shown: ${shown}`);
    const s = await waitForState(page, () => window.polytope.state().sae.step > 0, null, 60000);
    assert(s.sae.settings.source === 'toy' && !('density' in s.sae.settings), `runs with the default density: ${JSON.stringify(s.sae.settings)}`);
    await assertAlive(page, 'sae density');
    assertNoErrors(errors, 'sae density');
    await context.close();
  });

  test('drill: /phase?resolution=64&models=32 (131,072 models) is cut to what one run holds, and the grid trains', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/phase?resolution=64&models=32`);
    const s = await waitForState(page, () => {
      const p = window.polytope.state().phase;
      return p && (p.status === 'failed' || p.step > 0);
    }, null, 120000);
    assert(s.phase.status !== 'failed', `the grid runs: ${s.phase.message}`);
    assert(s.phase.resolution === 64 && s.phase.models === 16, `64 x 64 cells, 16 models each: ${s.phase.resolution} x ${s.phase.models}`);
    assert(s.phase.setting_errors.some((e) => e.includes('131072') && e.includes('65536')), `the cut is explained: ${s.phase.setting_errors}`);
    assert(await page.isVisible('[data-testid=setting-errors]'), 'and shown');
    assert((await page.locator('[data-testid=crash-card]').count()) === 0, 'no crash card');
    await screenshot(page, 'drill-phase-64x32');
    assertNoErrors(errors, 'phase 64x32');
    await context.close();
  });

  test('drill: hostile activation files are refused with a message naming the file; the run before them is kept', async () => {
    const { page, errors, context } = await openPage(ctx.gpu, `${ctx.base}/sae?steps=200&d_sae=32&backend=cpu`);
    await waitForState(page, () => window.polytope.state().sae?.status === 'done', null, 120000);
    const before = await sae(page);
    const dir = mkdtempSync(join(tmpdir(), 'polytope-drill-'));
    try {
      const refuse = async (file, pattern, what) => {
        await page.setInputFiles('[data-testid=activation-file]', file);
        await page.waitForFunction(
          (p) => new RegExp(p).test(document.querySelector('.settings-form [role=alert]')?.textContent ?? ''),
          pattern.source,
          { timeout: 30000 },
        );
        const message = await page.textContent('.settings-form [role=alert]');
        assert(message.includes(typeof file === 'string' ? 'huge.bin' : file.name), `${what}: the file is named: ${message}`);
        const after = await sae(page);
        assert(after.source === before.source && after.status === 'done' && after.step === before.step, `${what}: the previous run is kept`);
        await assertAlive(page, what);
      };
      // A header whose lengths wrap on 32 bits: 2^62 rows of 16 values, 64 bytes of data.
      const wrap = activationFile(1, 16, () => 1);
      wrap.writeBigUInt64LE(1n << 62n, 16);
      await refuse({ name: 'wrap.bin', mimeType: 'application/octet-stream', buffer: wrap }, /wrap\.bin: .*(bytes|long|end)/, 'wrapping header');
      // A 1.1 GB f16 file (sparse on disk): refused by its size before it is read.
      const huge = join(dir, 'huge.bin');
      const fd = openSync(huge, 'w');
      const header = activationFile(1, 8, () => 0).subarray(0, 32);
      header.writeUInt32LE(1, 12);
      header.writeBigUInt64LE(BigInt(Math.floor((1.1e9 - 32) / 16)), 16);
      writeSync(fd, header, 0, 32, 0);
      ftruncateSync(fd, 1.1e9);
      closeSync(fd);
      await refuse(huge, /huge\.bin: 1100 MB; .*536 MB/, '1.1 GB file');
      // Rows of +-3e38: finite, but their squared norms overflow f32.
      const big = activationFile(100, 8, (r, k) => ((r + k) % 2 ? 3e38 : -3e38));
      await refuse({ name: 'overflow.bin', mimeType: 'application/octet-stream', buffer: big }, /overflow\.bin: .*overflows f32/, 'rows of 3e38');
      // Every row the same: nothing to learn.
      const same = activationFile(100, 8, (r, k) => k * 0.25);
      await refuse({ name: 'same.bin', mimeType: 'application/octet-stream', buffer: same }, /same\.bin: .*every row is the same/, 'identical rows');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // And a good file still trains afterwards.
    const good = activationFile(2000, 8, (r, k) => (k === r % 8 ? 1 + (r % 5) * 0.1 : 0));
    await page.setInputFiles('[data-testid=activation-file]', { name: 'good.bin', mimeType: 'application/octet-stream', buffer: good });
    await waitForState(page, () => window.polytope.state().sae.source.startsWith('file good.bin') && window.polytope.state().sae.step > 0, null, 60000);
    await screenshot(page, 'drill-files');
    assertNoErrors(errors, 'hostile files');
    await context.close();
  });
}
