// A small static server for dist/: files by path with correct MIME types (application/wasm
// included), looked up as GitHub Pages does: the file itself, else NAME.html (the static route
// entries: /toy is toy.html), else a directory's index.html (a directory without its trailing
// slash is redirected to it). An unknown page path (no file extension) gets index.html with
// status 200, like a host with an SPA rewrite rule; with --no-spa it gets 404.html with status
// 404, exactly as GitHub Pages serves it (the app then routes on the URL either way). Unknown
// assets get 404. With --prefix /PATH/ the site lives under that path, as on a GitHub Pages
// project site (https://USER.github.io/REPO/): addresses outside it get a plain 404.
// Used by `./dev serve` and the end-to-end tests.
//
//   node tools/serve.mjs [--dir dist] [--port 8080] [--host 127.0.0.1] [--no-spa] [--prefix /PATH/]
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.webmanifest': 'application/manifest+json',
};

const isFile = async (f) => (await stat(f).catch(() => null))?.isFile() ?? false;

export function startServer({ dir = 'dist', port = 8080, host = '127.0.0.1', spa = true, prefix = '/', override } = {}) {
  const root = resolve(dir);
  const site = `/${prefix.replace(/^\/+|\/+$/g, '')}/`.replace('//', '/');
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      if (override) {
        const handled = await override(url, res);
        if (handled) return;
      }
      if (`${url.pathname}/` === site) {
        res.writeHead(301, { Location: site + url.search });
        res.end();
        return;
      }
      if (!url.pathname.startsWith(site)) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`not found: the site is served under ${site}`);
        return;
      }
      let path = normalize(decodeURIComponent(`/${url.pathname.slice(site.length)}`));
      if (path.includes('\0')) throw new Error('bad path');
      let file = join(root, path);
      if (!file.startsWith(root)) throw new Error('outside root');
      let info = await stat(file).catch(() => null);
      if (!info?.isFile() && !path.endsWith('/') && (await isFile(`${file}.html`))) {
        file = `${file}.html`;
        info = await stat(file);
      } else if (info && info.isDirectory()) {
        if (!url.pathname.endsWith('/')) {
          res.writeHead(301, { Location: `${url.pathname}/${url.search}` });
          res.end();
          return;
        }
        file = join(file, 'index.html');
        info = await stat(file).catch(() => null);
      }
      let status = 200;
      if (!info) {
        if (spa && extname(path) === '') {
          file = join(root, 'index.html');
        } else {
          file = join(root, '404.html');
          status = 404;
        }
      }
      const body = await readFile(file);
      res.writeHead(status, {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': extname(file) === '.html' ? 'no-cache' : 'public, max-age=3600',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(body);
    } catch (err) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end(`bad request: ${err.message}`);
    }
  });
  return new Promise((ok) => server.listen(port, host, () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const server = await startServer({
    dir: opt('dir', 'dist'),
    port: Number(opt('port', 8080)),
    host: opt('host', '127.0.0.1'),
    spa: !args.includes('--no-spa'),
    prefix: opt('prefix', '/'),
  });
  const { address, port } = server.address();
  const prefix = `/${opt('prefix', '/').replace(/^\/+|\/+$/g, '')}/`.replace('//', '/');
  console.log(`Polytope is served at http://${address}:${port}${prefix} (Ctrl-C to stop)`);
}
