import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Build the page into web/dist/: main.js (the page), fem-worker.js and sdmm-worker.js (one
 * Web Worker per solver), index.html, style.css, and TensorFlow.js' .wasm binaries, so the folder
 * works offline as plain files. Bundled with esbuild for browsers; the Node built-ins and pngjs
 * that src/ imports at the top of modules whose Node-only functions the page never calls
 * (src/io/csv.ts, src/io/png.ts) resolve to web/node-shim.cjs, and csv-stringify to its
 * browser build (its Node build uses Buffer at load time).
 *
 *   npx tsx web/build.ts [outDir]
 */

const WEB = dirname(fileURLToPath(import.meta.url));

/** Options: minify (default true); sourcemap (default false: web/dist stays ≈3.3 MB; `npm run web` turns it on). */
export async function buildWeb(outDir = join(WEB, 'dist'), options: { minify?: boolean; sourcemap?: boolean } = {}): Promise<string> {
  const out = resolve(outDir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const shim = join(WEB, 'node-shim.cjs');
  await build({
    entryPoints: {
      main: join(WEB, 'src/main.ts'),
      'fem-worker': join(WEB, 'src/fem-worker.ts'),
      'sdmm-worker': join(WEB, 'src/sdmm-worker.ts'),
    },
    outdir: out,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    sourcemap: options.sourcemap ? 'linked' : false,
    logLevel: 'warning',
    alias: { 'csv-stringify/sync': 'csv-stringify/browser/esm/sync' },
    plugins: [
      {
        name: 'node-only-shim',
        setup(b) {
          // node:* and pngjs from anywhere; bare built-in names ('fs', 'worker_threads') only from
          // the project's own src/, since npm packages map those themselves through their
          // package.json "browser" field (seedrandom's optional 'crypto', for one).
          const builtins = new Set(builtinModules);
          const src = resolve(WEB, '../src');
          b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) => {
            if (args.path.startsWith('node:') || args.path === 'pngjs') return { path: shim };
            if (builtins.has(args.path) && args.importer.startsWith(src)) return { path: shim };
            return undefined;
          });
        },
      },
    ],
  });
  copyFileSync(join(WEB, 'index.html'), join(out, 'index.html'));
  copyFileSync(join(WEB, 'style.css'), join(out, 'style.css'));
  const require = createRequire(import.meta.url);
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm'));
  for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(out, f));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = await buildWeb(process.argv[2]);
  console.log(`built ${out}`);
}
