// Browser benchmark: training steps/s, frames per second and main-thread long tasks while the
// explorer trains, in headless Chromium, on WebGPU and on the CPU fallback.
//
//   node tests/bench/browser.mjs [--seconds 10] [--only NAME] [--json]   (needs a release build in dist/)
//
// Each configuration opens its page, lets training warm up, then measures over a window:
// steps/s from window.polytope.state(), frames from requestAnimationFrame, long tasks from a
// PerformanceObserver (tasks over 50 ms block input).
import { launch, serve } from '../e2e/lib.mjs';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] || 10);
const asJson = args.includes('--json');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;

const CONFIGS = [
  { name: 'intro', path: '/toy?preset=intro', section: 'toy' },
  { name: 'dims-per-feature', path: '/toy?preset=dims-per-feature&panels=loss,norms', section: 'toy' },
  { name: 'phase 32x32x10', path: '/phase?resolution=32&models=10&steps=100000', section: 'phase' },
  // The SAE lab's default sizes (32 -> 256, batch 256) per variant: samples/s = steps/s x 256.
  ...['l1-2023', 'l1-2024', 'topk', 'jumprelu'].map((v) => ({
    name: `sae ${v}`,
    path: `/sae?variant=${v}&steps=1000000`,
    section: 'sae',
  })),
];

const { server, base } = await serve();
const browser = await launch({ webgpu: true });
const rows = [];
for (const config of CONFIGS.filter((c) => !only || c.name.startsWith(only))) {
  for (const backend of ['gpu', 'cpu']) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript(() => {
      window.__bench = { frames: 0, longTasks: [] };
      const tick = () => {
        window.__bench.frames += 1;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__bench.longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    // backend=webgpu: the automatic choice would leave a software adapter for the CPU path.
    const url = `${base}${config.path}&backend=${backend === 'cpu' ? 'cpu' : 'webgpu'}`;
    await page.goto(url);
    const section = config.section;
    await page.waitForFunction((s) => (window.polytope?.state()[s]?.step ?? 0) > 0, section, { timeout: 600000 });
    await page.waitForTimeout(2000); // warm-up: adaptive step counts settle
    const start = await page.evaluate((s) => ({
      step: window.polytope.state()[s].step,
      frames: window.__bench.frames,
      tasks: window.__bench.longTasks.length,
      t: performance.now(),
    }), section);
    await page.waitForTimeout(seconds * 1000);
    const end = await page.evaluate((s) => ({
      step: window.polytope.state()[s].step,
      backend: window.polytope.state()[s].backend,
      frames: window.__bench.frames,
      tasks: window.__bench.longTasks.slice(),
      t: performance.now(),
    }), section);
    const dt = (end.t - start.t) / 1000;
    const spans = await page.evaluate((t0) => {
      const out = {};
      for (const m of performance.getEntriesByType('measure')) {
        if (m.startTime < t0) continue;
        const s = (out[m.name] ??= { count: 0, total: 0, max: 0 });
        s.count += 1;
        s.total += m.duration;
        s.max = Math.max(s.max, m.duration);
      }
      return out;
    }, start.t);
    const window_tasks = end.tasks.slice(start.tasks);
    rows.push({
      config: config.name,
      backend: end.backend,
      steps_per_second: (end.step - start.step) / dt,
      frames_per_second: (end.frames - start.frames) / dt,
      long_tasks: window_tasks.length,
      longest_task_ms: window_tasks.length ? Math.max(...window_tasks) : 0,
      spans,
    });
    await page.close();
  }
}
await browser.close();
server.close();

if (asJson) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log('config             backend   steps/s    fps   long tasks (>50 ms)   longest');
  for (const r of rows) {
    console.log(
      `${r.config.padEnd(18)} ${String(r.backend).padEnd(8)} ${r.steps_per_second.toFixed(1).padStart(8)} ${r.frames_per_second.toFixed(1).padStart(6)} ${String(r.long_tasks).padStart(12)} ${r.longest_task_ms.toFixed(0).padStart(14)} ms`,
    );
    if (args.includes('--spans')) {
      for (const [name, s] of Object.entries(r.spans).sort()) {
        console.log(`    ${name.padEnd(22)} ${String(s.count).padStart(5)} x  mean ${(s.total / s.count).toFixed(1).padStart(6)} ms  max ${s.max.toFixed(1).padStart(6)} ms`);
      }
    }
  }
}
