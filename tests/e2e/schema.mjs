// `window.polytope.state()` is a public interface: fields may be added, never removed or
// retyped. This test visits every page in a state where each section is filled in, reduces
// the live state to its shape (keys and JSON types, recursively) and compares it with the
// checked-in shape in tests/e2e/state-schema.json: a key that disappeared or changed type
// fails the test. Run with UPDATE_SCHEMA=1 to write the file after adding fields on purpose.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, openPage, state, test, waitForState } from './lib.mjs';

const SCHEMA = join(process.cwd(), 'tests', 'e2e', 'state-schema.json');

/// The shape of a JSON value: objects map keys to shapes, arrays hold the merged shape of
/// their items, everything else is its type name. `null` merges with any type.
export function shapeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let item = null;
    for (const v of value.slice(0, 50)) item = merge(item, shapeOf(v));
    return { '[]': item ?? 'empty' };
  }
  if (typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value).sort()) out[k] = shapeOf(value[k]);
    return out;
  }
  return typeof value;
}

function merge(a, b) {
  if (a === null || a === 'null' || a === 'empty') return b;
  if (b === null || b === 'null' || b === 'empty') return a;
  if (typeof a === 'object' && typeof b === 'object') {
    if ('[]' in a && '[]' in b) return { '[]': merge(a['[]'], b['[]']) };
    const out = { ...a };
    for (const k of Object.keys(b)) out[k] = k in out ? merge(out[k], b[k]) : b[k];
    return out;
  }
  return a;
}

/// Problems of `live` against `want`: keys missing and types changed (paths like toy.report.seed).
export function compareShapes(want, live, path = '') {
  const problems = [];
  if (want === 'null' || want === 'empty' || live === 'null' || live === 'empty') return problems;
  if (typeof want === 'string' || typeof live === 'string') {
    if (JSON.stringify(want) !== JSON.stringify(live)) {
      problems.push(`${path || '(root)'}: was ${JSON.stringify(want)}, now ${JSON.stringify(live)}`);
    }
    return problems;
  }
  for (const k of Object.keys(want)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in live)) problems.push(`${p}: missing`);
    else problems.push(...compareShapes(want[k], live[k], p));
  }
  return problems;
}

// Each page, the address that fills its section, and when it is filled.
const PAGES = [
  { name: 'home', path: '/', ready: () => true },
  {
    name: 'toy',
    path: '/toy?preset=intro&steps=60&backend=cpu',
    ready: () => window.polytope.state().toy?.status === 'done',
  },
  {
    name: 'geometry',
    path: '/geometry?preset=dims-per-feature&n=20&m=5&density=1,0.1&steps=40&backend=cpu',
    ready: () => window.polytope.state().geometry?.status === 'done',
  },
  {
    name: 'phase',
    path: '/phase?resolution=4&models=2&steps=80&backend=cpu',
    ready: () => window.polytope.state().phase?.status === 'done',
  },
  {
    name: 'sae',
    path: '/sae?steps=60&backend=cpu',
    ready: () => window.polytope.state().sae?.status === 'done',
  },
  {
    name: 'features',
    path: '/features/a-4096/718',
    // The detail can load before the list: wait for both (and the list's timing).
    ready: () => { const f = window.polytope.state().features; return f?.detail_loaded === true && f.list_loaded === true && f.timing?.list_ms !== undefined; },
  },
  { name: 'compute', path: '/compute?backend=cpu', ready: () => true },
];

export function schemaTests({ base, noGpu }) {
  test('state(): every field of the checked-in schema is still there with its type', async () => {
    const live = {};
    for (const p of PAGES) {
      const { page, context } = await openPage(noGpu, base + p.path);
      await waitForState(page, p.ready, null, 90000);
      const s = await state(page);
      live[p.name] = shapeOf(s);
      await context.close();
    }
    if (process.env.UPDATE_SCHEMA === '1') {
      writeFileSync(SCHEMA, `${JSON.stringify(live, null, 1)}\n`);
      return;
    }
    const want = JSON.parse(readFileSync(SCHEMA, 'utf8'));
    const problems = [];
    for (const name of Object.keys(want)) {
      if (!(name in live)) problems.push(`${name}: page not visited`);
      else problems.push(...compareShapes(want[name], live[name], name));
    }
    assert(problems.length === 0, `state() lost or retyped fields:\n  ${problems.join('\n  ')}`);
  });
}
