// Chinese mode shows no English: every page and every tour step, opened with lang=zh, is
// scanned for Latin-script words in its visible text and in the labels a screen reader or a
// tooltip shows (aria-label, title, placeholder, alt). Data (tokens, snippets, feature ids,
// addresses) is exempt by markup (translate="no" on it or an ancestor), never by a list of
// words; the only words allowed are the acronyms and symbols the glossary itself writes in
// Latin script in Chinese text, each with its reason. Plot text drawn on canvas is checked
// natively (src/plot/text.rs, every plot kind in Chinese).
import { assert, assertNoErrors, openPage, state, test, waitForState } from './lib.mjs';

/// Latin-script words allowed in Chinese mode, each for a reason.
export const ALLOWED = new Map([
  ['Polytope', 'the app\'s name'],
  ['WebGPU', 'the browser API\'s name'],
  ['GPU', 'the glossary keeps the acronym'],
  ['CPU', 'the glossary keeps the acronym'],
  ['SAE', 'the glossary: 稀疏自编码器（SAE）'],
  ['SAEs', 'plural of the acronym, in the scaling calculator'],
  ['SAELens', 'a library\'s name (the import panel)'],
  ['MLP', 'the layer\'s name, as the papers write it'],
  ['ReLU', 'the activation function\'s name'],
  ['TopK', 'a recipe\'s name'],
  ['BatchTopK', 'a recipe\'s name'],
  ['JumpReLU', 'a recipe\'s name'],
  ['AuxK', 'TopK\'s auxiliary loss, a proper name'],
  ['Adam', 'the optimiser\'s name'],
  ['AdamW', 'the optimiser\'s name'],
  ['L', 'L0 and L1 (the glossary writes L0)'],
  ['MMCS', 'the interface\'s acronym for mean max cosine similarity'],
  ['logit', 'the glossary: logit 效应'],
  ['logits', 'as above'],
  ['CSV', 'an export format\'s name'],
  ['PNG', 'an export format\'s name'],
  ['SVG', 'an export format\'s name'],
  ['JSON', 'a file format\'s name'],
  ['QR', 'QR code (二维码 beside it)'],
  ['W', 'the weight matrix\'s symbol (‖W‖, WᵀW)'],
  ['WᵀW', 'the Gram matrix\'s symbol'],
  ['b', 'the bias\'s symbol'],
  ['D', 'D* and D_i (dimensions per feature, feature dimensionality)'],
  ['S', 'sparsity in 1/(1−S)'],
  ['x', 'the input x and output x\' of the toy model'],
  ['i', 'the index of D_i and W_i'],
  ['n', 'the number of features, as the papers write it'],
  ['m', 'the number of hidden dimensions, as the papers write it'],
  ['p', 'feature probability, the paper\'s p'],
  ['God', 'the God feature\'s name is the English token it fires on'],
  ['Anthropic', 'the authors\' company, in citations'],
  ['Wᵢ', 'a feature\'s direction (|Wᵢ·Wⱼ|, ‖Wᵢ‖)'],
  ['Wⱼ', 'as above'],
  ['F', 'the Frobenius norm\'s subscript in ‖W‖²_F'],
  ['k', 'TopK\'s k, as the papers write it'],
  ['span', 'the importance field\'s syntax span:S, typed as written'],
  ['auto', 'a value typed into the learning-rate field'],
  ['POLYACT', 'the activation file format\'s magic (POLYACT1)'],
  ['Shift', 'a key\'s name, as printed on the keyboard'],
  ['log', 'log10, a mathematical function'],
  ['tegum', 'the paper\'s term (tegum product), which has no Chinese rendering'],
  ['Transformer', 'the architecture\'s name'],
  ['Gao', 'an author\'s name in a recipe\'s citation (Gao et al. 2024)'],
  ['A', 'the name of our model A (the glossary writes 模型 A)'],
  ['B', 'the name of our model B'],
  ['FLOP', 'the unit of training compute'],
  ['Chromium', 'a browser\'s name (compute page)'],
  ['Vulkan', 'a graphics API\'s name (compute page)'],
  ['lavapipe', 'a software renderer\'s name (compute page)'],
  ['SwiftShader', 'a software renderer\'s name (compute page)'],
]);

const CJK = /[\u3400-\u9fff]/;

/// The visible Latin-script words of the page outside translate="no", with where they are.
async function latinWords(page) {
  return page.evaluate(() => {
    const exempt = (el) => !el || el.closest('[translate=no], script, style, noscript, svg title');
    const visible = (el) => {
      if (!el) return false;
      const s = getComputedStyle(el);
      if (s.display === 'none' || s.visibility === 'hidden') return false;
      return el.getClientRects().length > 0;
    };
    const found = [];
    const scan = (text, where) => {
      // Numbers in scientific notation (1e-3) and units like 10^6 are not words.
      const cleaned = text.replace(/\d+(\.\d+)?e[-+]?\d+/gi, ' ');
      for (const m of cleaned.matchAll(/[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1d00-\u1dbf]+(?:ᵀ[A-Za-z]+)?/g)) {
        found.push({ word: m[0], where, text: text.slice(0, 80) });
      }
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!node.textContent.trim() || exempt(el) || !visible(el)) continue;
      scan(node.textContent, `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
    }
    for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], img[alt]')) {
      if (exempt(el)) continue;
      for (const attr of ['aria-label', 'title', 'placeholder', 'alt']) {
        const v = el.getAttribute(attr);
        if (v) scan(v, `${el.tagName.toLowerCase()}[${attr}]`);
      }
    }
    return found;
  });
}

/// Problems found on the page (all pages are visited before the test fails, so one run lists
/// every untranslated string).
async function check(page, where) {
  const words = (await latinWords(page)).filter((w) => !ALLOWED.has(w.word));
  const unique = [...new Map(words.map((w) => [w.text, w])).values()];
  const problems = unique.slice(0, 8).map((w) => `${where}: ${w.where}: ${JSON.stringify(w.text)} (${w.word})`);
  const body = await page.evaluate(() => document.body.innerText);
  if (!CJK.test(body)) problems.push(`${where}: no Chinese text at all`);
  return problems;
}

function report(problems) {
  assert(problems.length === 0, `English in Chinese mode:\n  ${problems.join('\n  ')}`);
}

const PAGES = [
  ['/', null],
  ['/toy?preset=intro', () => (window.polytope.state().toy?.step ?? 0) >= 20],
  ['/toy?preset=abs', () => (window.polytope.state().toy?.step ?? 0) >= 20],
  ['/geometry', () => (window.polytope.state().geometry?.step ?? window.polytope.state().toy?.step ?? 0) >= 20],
  ['/phase?resolution=4&models=2&steps=200', null],
  ['/sae', () => (window.polytope.state().sae?.step ?? 0) >= 20],
  ['/sae?source=toy', () => (window.polytope.state().sae?.step ?? 0) >= 20],
  ['/features', () => window.polytope.state().features?.loaded === true],
  ['/features/a-4096/718', () => window.polytope.state().features?.loaded === true],
  ['/compute', null],
];

export function zhTests(ctx) {
  test('zh: no English words on any page in Chinese mode (text and labels, data exempt by markup)', async () => {
    const problems = [];
    for (const [path, ready] of PAGES) {
      const sep = path.includes('?') ? '&' : '?';
      const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}${path}${sep}lang=zh`);
      if (ready) await waitForState(page, ready, null, 60000);
      await page.waitForTimeout(500);
      problems.push(...(await check(page, path)));
      assertNoErrors(errors, path);
      await context.close();
    }
    report(problems);
  });

  test('zh: no English words in any tour step in Chinese mode', async () => {
    const { page, errors, context } = await openPage(ctx.noGpu, `${ctx.base}/tour?lang=zh`);
    const s = await waitForState(page, () => window.polytope.state().tour?.index === 0, null, 20000);
    const problems = [];
    for (let i = 0; i < s.tour.steps; i += 1) {
      // The text and the widget's first view; the walk in tour.mjs waits for every goal.
      await page.waitForTimeout(1500);
      problems.push(...(await check(page, `tour step ${i + 1} (${(await state(page)).tour.step})`)));
      if (i + 1 < s.tour.steps) {
        await page.click('[data-testid=tour-next]');
        await waitForState(page, (n) => window.polytope.state().tour?.index === n, i + 1, 20000);
      }
    }
    assertNoErrors(errors, 'tour zh');
    await context.close();
    report(problems);
  });
}
