import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildWeb } from './build.js';

/**
 * A static file server for web/dist on localhost (node:http, GET and HEAD only, no directory
 * listings; paths are confined to the folder). `npx tsx web/serve.ts [port]` builds (with source
 * maps), then serves (default port 8080; 0 picks a free one).
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.png': 'image/png',
};

export function serveStatic(root: string, port = 8080, host = '127.0.0.1'): Promise<Server> {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(base, path.endsWith('/') ? `${path}index.html` : path));
    let size = -1;
    try {
      if (file.startsWith(base + sep) && (req.method === 'GET' || req.method === 'HEAD')) {
        const st = statSync(file);
        if (st.isFile()) size = st.size;
      }
    } catch {
      size = -1;
    }
    if (size < 0) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-cache' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = await buildWeb(undefined, { sourcemap: true });
  const server = await serveStatic(out, process.argv[2] === undefined ? 8080 : Number(process.argv[2]));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 8080;
  console.log(`serving ${out} at http://localhost:${port}/ (Ctrl-C stops)`);
}
