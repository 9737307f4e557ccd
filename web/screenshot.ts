import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { launchChromium } from './browser.js';
import { buildWeb } from './build.js';
import { serveStatic } from './serve.js';

/**
 * The README screenshot: build, serve, open the page in headless Chromium with the given URL
 * settings, run until the run pauses at its stop step, save the full page as PNG.
 *
 *   npx tsx web/screenshot.ts [out.png] [query]
 *   (defaults: docs/web-screenshot.png, "problem=star&stopStep=20&run=1")
 */
const out = resolve(process.argv[2] ?? 'docs/web-screenshot.png');
const query = process.argv[3] ?? 'problem=star&stopStep=20&run=1';
const dist = await buildWeb();
const server = await serveStatic(dist, 0);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/?${query}`);
  const stop = Number(new URLSearchParams(query).get('stopStep') ?? 40);
  await page.waitForFunction(
    (n) => document.body.dataset.running === 'false' && document.getElementById('sdmm-step')?.dataset.step === String(n),
    stop,
    { timeout: 600_000 },
  );
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  server.close();
}
