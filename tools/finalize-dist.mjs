// Trunk post-build hook: runs in the staging directory before it replaces dist/.
// 1. Computes the sha256 of every inline <script> in index.html and writes them into the
//    Content-Security-Policy in place of INLINE_SCRIPT_HASHES (so no 'unsafe-inline').
// 2. Writes 404.html, a copy of index.html: static hosts (GitHub Pages, Netlify, S3 with an
//    error document) serve it for unknown paths, so deep links like /toy?preset=intro work.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error('finalize-dist: TRUNK_STAGING_DIR is not set (run through trunk)');
  process.exit(1);
}
const file = join(staging, 'index.html');
let html = readFileSync(file, 'utf8');
const hashes = [];
for (const match of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)) {
  const digest = createHash('sha256').update(match[1], 'utf8').digest('base64');
  hashes.push(`'sha256-${digest}'`);
}
if (html.split('INLINE_SCRIPT_HASHES').length !== 2) {
  console.error('finalize-dist: index.html must contain the INLINE_SCRIPT_HASHES placeholder exactly once');
  process.exit(1);
}
html = html.replace('INLINE_SCRIPT_HASHES', hashes.join(' '));
writeFileSync(file, html);
writeFileSync(join(staging, '404.html'), html);
console.log(`finalize-dist: ${hashes.length} inline script hash(es) in the CSP; wrote 404.html`);
