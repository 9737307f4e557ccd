import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFemSolver } from '../src/fem/solver.js';
import { readStepsCsv, type StepRow } from '../src/io/csv.js';
import { decodePng } from '../src/io/png.js';
import { createSdmmSolver } from '../src/sdmm/solver.js';
import type { StepRecord } from '../src/solver.js';
import { launchChromium } from '../web/browser.js';
import { buildWeb } from '../web/build.js';
import { serveStatic } from '../web/serve.js';
import { femOptions, problemFromSettings, sdmmOptions, settingsFromQuery } from '../web/src/settings.js';

/**
 * The page in a real headless Chromium (Debian's, driven by playwright-core): the bundle is
 * built once into a temporary folder and served by web/serve.ts on a free port. Every test
 * fails on any console error or uncaught page error, and on any request that leaves the local
 * server (the page must work offline). Numbers are compared with Node runs of the same
 * settings, built through the same functions of web/src/settings.ts.
 */

/** Small but resolved enough to run in seconds: FEM 32×32 cells, SDMM rank 8, width 16, 16×16 elements. */
const SMALL = 'resolution=32&rank=8&width=16&quadElements=16';

let dist: string;
let server: Server;
let origin: string;
let browser: Browser;
let downloads: string;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'allen-cahn-web-'));
  downloads = mkdtempSync(join(tmpdir(), 'allen-cahn-web-downloads-'));
  await buildWeb(dist);
  server = await serveStatic(dist, 0);
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
  rmSync(dist, { recursive: true, force: true });
  rmSync(downloads, { recursive: true, force: true });
});

afterEach(async () => {
  await page?.close();
  expect(problems).toEqual([]);
});

/** Open the page with a URL query; console errors, page errors and non-local requests are collected. */
async function open(query: string): Promise<Page> {
  problems = [];
  page = await browser.newPage({ viewport: { width: 1200, height: 1000 }, acceptDownloads: true });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && problems.push(`worker console error: ${m.text()}`)));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    problems.push(`request outside the page's folder: ${url}`);
    return route.abort();
  });
  await page.goto(`${origin}/?${query}`);
  return page;
}

/** Wait until the run has paused with both solvers at `step`. */
async function waitForStep(p: Page, step: number, timeout = 40_000): Promise<void> {
  await p.waitForFunction(
    (n) =>
      document.body.dataset.running === 'false' &&
      document.getElementById('fem-step')?.dataset.step === String(n) &&
      document.getElementById('sdmm-step')?.dataset.step === String(n),
    step,
    { timeout },
  );
}

/** Wait until the run has paused and neither solver is busy (both then show one step). */
async function waitForPause(p: Page, timeout = 40_000): Promise<void> {
  await p.waitForFunction(
    () => {
      const [fem, sdmm] = ['fem-step', 'sdmm-step'].map((id) => document.getElementById(id));
      return (
        document.body.dataset.running === 'false' &&
        !!fem?.dataset.step &&
        fem.dataset.step === sdmm?.dataset.step &&
        !fem.textContent?.includes('…') &&
        !sdmm.textContent?.includes('…')
      );
    },
    null,
    { timeout },
  );
}

let downloadCount = 0;
/** Click a solver's steps.csv button and read the file with the library's own steps.csv reader. */
async function downloadSteps(p: Page, lane: 'fem' | 'sdmm'): Promise<StepRow[]> {
  const [download] = await Promise.all([p.waitForEvent('download'), p.click(`#${lane}-csv`)]);
  const file = join(downloads, `${lane}-${downloadCount++}.csv`);
  await download.saveAs(file);
  return readStepsCsv(file).rows;
}

/**
 * The Node run of the same settings: FEM for femSteps steps, SDMM for sdmmSteps (null: none) on
 * the backend the page runs for the query's engine setting (js: the float64 CPU engine on one
 * thread; wasm: TensorFlow.js wasm, which Node runs too).
 */
async function nodeRun(query: string, femSteps: number, sdmmSteps: number | null): Promise<{ fem: StepRecord[]; sdmm: StepRecord[] }> {
  const settings = settingsFromQuery(query);
  const problem = problemFromSettings(settings);
  const fem = createFemSolver(problem, femOptions(settings));
  const femRecords = [await fem.initialise()];
  for (let i = 0; i < femSteps; i++) femRecords.push(await fem.step());
  if (sdmmSteps === null) return { fem: femRecords, sdmm: [] };
  const sdmm = await createSdmmSolver(problem, sdmmOptions(settings, settings.engine));
  const sdmmRecords = [await sdmm.initialise()];
  for (let i = 0; i < sdmmSteps; i++) sdmmRecords.push(await sdmm.step());
  sdmm.dispose();
  return { fem: femRecords, sdmm: sdmmRecords };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('the FEM-vs-SDMM page in headless Chromium', () => {
  it('loads from its own folder with no console errors: FEM at step 0, SDMM on the float64 CPU engine with its fit of the default star accepted', async () => {
    // The default settings. The SDMM fit of u₀ at the default size takes seconds (3.3 s measured
    // here); the library's float64 fit tolerance would refuse it (2.2e-8 > 1e-8), the page's 1e-6 does not.
    const p = await open('');
    await p.waitForFunction(() => document.getElementById('fem-step')?.dataset.step === '0' && document.getElementById('sdmm-step')?.textContent !== 'fitting u₀ …', null, {
      timeout: 60_000,
    });
    expect(await p.getAttribute('#sdmm-step', 'data-step')).toBe('0');
    expect(await p.textContent('#sdmm-reason')).toMatch(/^fit relative mse \S+ <= tolerance 1\.000e-6/);
    expect(await p.textContent('#sdmm-engine')).toBe('float64 CPU engine (JavaScript, 1 thread)');
    expect(await p.inputValue('#engine')).toBe('js');
    expect(Number(await p.textContent('#fem-energy'))).toBeGreaterThan(0);
    expect(await p.textContent('#fem-engine')).toContain('mms-newton');
    // the resolution check: 64 cells per side (h = √2/64) and 32 × 2 Gauss points (h = 1/(32√3)) resolve ε = 0.04
    expect(await p.textContent('#fem-resolution')).toBe('h = 0.0221 ≤ ε = 0.04 (mesh: largest cell diameter)');
    expect(await p.textContent('#sdmm-resolution')).toBe('h = 0.018 ≤ ε = 0.04 (quadrature grid: largest gap between adjacent Gauss points)');
    expect(await p.getAttribute('#fem-resolution', 'class')).not.toBe('bad');
    expect(await p.inputValue('#problem')).toBe('star');
    expect(await p.getAttribute('#fem-reason', 'class')).not.toBe('bad');
    expect(await p.getAttribute('#sdmm-reason', 'class')).not.toBe('bad');
  });

  it('reduced circle: 20 FEM steps and 5 SDMM steps give the Node energies (FEM and the float64 SDMM engine 1e-9)', async () => {
    const query = `problem=circle&${SMALL}&stopStep=20`;
    const p = await open(`${query}&run=1`);
    const nodeRuns = nodeRun(query, 20, 5); // meanwhile, on the other core
    await waitForStep(p, 20);
    const [fem, sdmm] = [await downloadSteps(p, 'fem'), await downloadSteps(p, 'sdmm')];
    const node = await nodeRuns;
    expect(fem.map((r) => r.step)).toEqual([...Array(21).keys()]);
    expect(fem.every((r) => r.stable)).toBe(true);
    for (let n = 0; n <= 20; n++) {
      expect(relative(fem[n].energy, node.fem[n].energy)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(fem[n].movement - node.fem[n].movement)).toBeLessThanOrEqual(1e-9 * node.fem[n].movement);
      expect(fem[n].iterations).toBe(node.fem[n].iterations);
    }
    // From u₀ to the energies the float64 engine path does only +, −, ×, ÷, √ and the portable
    // tanh, atanh, cos, … of src/util/portable-math.ts, so browser and Node compute the same bits
    // (measured: identical energies, relative difference 0). Any difference the fit picks up is
    // amplified by it and by the L-BFGS steps (one ulp in 4 of the 32 entries of the tanh table
    // gave 1.5e-4 after one step), so 1e-9 fails on any real divergence. The iteration counts and
    // stop reasons (the fit's phases with their iteration counts) must agree too.
    expect(sdmm.map((r) => r.step)).toEqual([...Array(21).keys()]);
    for (let n = 0; n <= 5; n++) {
      expect(relative(sdmm[n].energy, node.sdmm[n].energy), `SDMM step ${n}`).toBeLessThanOrEqual(1e-9);
      expect(sdmm[n].iterations).toBe(node.sdmm[n].iterations);
      expect(sdmm[n].stopReason).toBe(node.sdmm[n].stopReason);
    }
    expect(sdmm.every((r) => r.stable)).toBe(true);
  });

  it('star and coarsening (atan2, cos in u₀; periodic axes: cos, sin in the encoding and the fit): 2 SDMM steps give the Node energies to 1e-9', async () => {
    // The star needs rank 16 (rank 8 alone misses the fit tolerance: 5.4e-6).
    for (const problem of ['star', 'coarsening']) {
      const query = `problem=${problem}&resolution=32&rank=${problem === 'star' ? 16 : 8}&width=16&quadElements=16&stopStep=2`;
      const p = await open(`${query}&run=1`);
      const nodeRuns = nodeRun(query, 0, 2);
      await waitForStep(p, 2);
      const sdmm = await downloadSteps(p, 'sdmm');
      const node = await nodeRuns;
      await p.close();
      expect(sdmm.map((r) => r.step)).toEqual([0, 1, 2]);
      for (let n = 0; n <= 2; n++) {
        expect(relative(sdmm[n].energy, node.sdmm[n].energy), `${problem} SDMM step ${n}`).toBeLessThanOrEqual(1e-9);
        expect(sdmm[n].stopReason).toBe(node.sdmm[n].stopReason);
      }
    }
  });

  it('the TensorFlow.js wasm engine (engine=wasm) runs and gives the Node wasm energies to float32 precision', async () => {
    const query = `problem=circle&${SMALL}&engine=wasm&stopStep=3`;
    const p = await open(`${query}&run=1`);
    const nodeRuns = nodeRun(query, 0, 3);
    await waitForStep(p, 3);
    expect(await p.textContent('#sdmm-engine')).toContain('TensorFlow.js wasm');
    const sdmm = await downloadSteps(p, 'sdmm');
    const node = await nodeRuns;
    expect(sdmm.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    for (let n = 0; n <= 3; n++) {
      // float32 unit round-off is 6e-8; the energies are float64 sums over the float32 field. The
      // SVD-based fit and the L-BFGS steps (up to 50 iterations each here) amplify last-bit
      // differences between the browser's and Node's V8 (their Math functions differ in the last
      // ulp): measured 2e-6 after the fit and 7.4e-5 by step 5, so this bounds it at 1e-3.
      expect(relative(sdmm[n].energy, node.sdmm[n].energy), `SDMM step ${n}`).toBeLessThanOrEqual(1e-3);
    }
    expect(sdmm.every((r) => r.stable)).toBe(true);
    // 32 cells per side do not resolve ε = 0.04 (h = √2/32 ≈ 0.0442); 16 × 2 Gauss points do (h ≈ 0.0361)
    expect(await p.textContent('#fem-resolution')).toBe('under-resolved: h = 0.0442 > ε = 0.04 (mesh: largest cell diameter); refine cells per side, or raise ε');
    expect(await p.getAttribute('#fem-resolution', 'class')).toBe('bad');
    expect(await p.textContent('#sdmm-resolution')).toBe('h = 0.0361 ≤ ε = 0.04 (quadrature grid: largest gap between adjacent Gauss points)');
  });

  it('a drawn initial condition runs and its energy decreases every step', async () => {
    // A painted field needs more rank than the small circle: the fit refuses rank 8 (its SVD
    // truncation alone misses the tolerance), which the page shows; rank 32 represents it.
    const p = await open(`problem=drawn&resolution=32&rank=32&width=32&quadElements=16&stopStep=8`);
    expect(await p.isVisible('#draw')).toBe(true);
    const box = (await p.locator('#draw').boundingBox())!;
    // One stroke: an L of the + phase (brush radius 12 lattice cells of 128).
    await p.mouse.move(box.x + 0.3 * box.width, box.y + 0.25 * box.height);
    await p.mouse.down();
    for (let s = 0; s <= 10; s++) await p.mouse.move(box.x + 0.3 * box.width, box.y + (0.25 + 0.045 * s) * box.height);
    for (let s = 0; s <= 10; s++) await p.mouse.move(box.x + (0.3 + 0.04 * s) * box.width, box.y + 0.7 * box.height);
    await p.mouse.up();
    await p.waitForFunction(() => document.getElementById('fem-step')?.dataset.step === '0', null, { timeout: 20_000 });
    await p.click('#run');
    await waitForStep(p, 8).catch(async (e) => {
      throw new Error(`${(e as Error).message.split('\n')[0]}; page: ${(await p.textContent('body'))?.replace(/\s+/g, ' ').slice(0, 1500)}`);
    });
    for (const lane of ['fem', 'sdmm'] as const) {
      const rows = await downloadSteps(p, lane);
      expect(rows.map((r) => r.step)).toEqual([...Array(9).keys()]);
      // The painted L has an interface of length ≈ 1.3 (energy ≈ 1.3 · 2√2/(3ε) ≈ 30 at ε = 0.04).
      expect(rows[0].energy).toBeGreaterThan(10);
      for (let n = 1; n <= 8; n++) expect(rows[n].energy, `${lane} step ${n}`).toBeLessThan(rows[n - 1].energy);
      expect(rows.every((r) => r.stable)).toBe(true);
    }
    expect(await p.getAttribute('#fem-verdict', 'data-ok')).toBe('true');
    expect(await p.getAttribute('#sdmm-verdict', 'data-ok')).toBe('true');
  });

  it('changing ε restarts the run from step 0 with the new ε (and a running run keeps running)', async () => {
    const query = `problem=circle&${SMALL}`;
    const p = await open(`${query}&stopStep=100000&run=1`);
    await p.waitForFunction(() => Number(document.getElementById('fem-step')?.dataset.step) >= 2, null, { timeout: 30_000 });
    const generation = await p.evaluate(() => document.body.dataset.generation);
    await p.fill('#epsilon', '0.05');
    await p.press('#epsilon', 'Tab');
    await p.waitForFunction((g) => document.body.dataset.generation !== g, generation);
    expect(await p.getAttribute('body', 'data-running')).toBe('true');
    // Pause at step 6 (a changed stop step alone does not restart); if the new run is past 6
    // already, it pauses at once: either way both solvers stop at one step n ≥ 6.
    await p.fill('#stopStep', '6');
    await p.press('#stopStep', 'Tab');
    await waitForPause(p);
    const rows = await downloadSteps(p, 'fem');
    const n = rows.length - 1;
    expect(n).toBeGreaterThanOrEqual(6);
    expect(rows.map((r) => r.step)).toEqual([...Array(n + 1).keys()]);
    expect(await p.getAttribute('body', 'data-generation')).toBe(String(Number(generation) + 1));
    const node = await nodeRun(`${query}&epsilon=0.05`, n, 0);
    const old = await nodeRun(query, 0, null);
    for (let k = 0; k <= n; k++) expect(relative(rows[k].energy, node.fem[k].energy)).toBeLessThanOrEqual(1e-9);
    expect(relative(rows[0].energy, old.fem[0].energy)).toBeGreaterThan(0.1);
    const sdmm = await downloadSteps(p, 'sdmm');
    expect(sdmm).toHaveLength(n + 1);
    expect(relative(sdmm[0].energy, node.sdmm[0].energy)).toBeLessThanOrEqual(1e-9);
  });

  it('pause stops the run, step advances both solvers by one, reset returns to step 0, the FEM scheme is selectable', async () => {
    const p = await open(`problem=circle&${SMALL}&stopStep=100000&run=1`);
    await p.waitForFunction(() => Number(document.getElementById('sdmm-step')?.dataset.step) >= 2, null, { timeout: 30_000 });
    await p.click('#pause');
    await waitForPause(p);
    const paused = Number(await p.getAttribute('#fem-step', 'data-step'));
    await p.waitForTimeout(300);
    expect(Number(await p.getAttribute('#fem-step', 'data-step'))).toBe(paused);
    await p.click('#step');
    await waitForStep(p, paused + 1);
    await p.click('#reset');
    await waitForStep(p, 0);
    expect(await p.textContent('#fem-verdict')).toBe('after the first step');
    // Another FEM scheme: the run restarts with it, and its first step is Node's.
    await p.selectOption('#scheme', 'convex-split');
    await p.waitForFunction(() => document.getElementById('fem-engine')?.textContent?.includes('convex-split'));
    await waitForStep(p, 0);
    await p.click('#step');
    await waitForStep(p, 1);
    const rows = await downloadSteps(p, 'fem');
    const node = await nodeRun(`problem=circle&${SMALL}&scheme=convex-split`, 1, null);
    expect(rows).toHaveLength(2);
    expect(relative(rows[1].energy, node.fem[1].energy)).toBeLessThanOrEqual(1e-9);
  });

  it('a screenshot is not blank and shows both fields (red disc on blue) and the energy plot', async () => {
    const p = await open(`problem=circle&${SMALL}&stopStep=3&run=1`);
    await waitForStep(p, 3);
    const whole = decodePng(await p.screenshot({ fullPage: true }));
    const colours = new Set<number>();
    for (let i = 0; i < whole.data.length; i += 4 * 7) colours.add((whole.data[i] << 16) | (whole.data[i + 1] << 8) | whole.data[i + 2]);
    expect(colours.size).toBeGreaterThan(200);
    const red = [178, 24, 43];
    const blue = [33, 102, 172];
    const near = (png: ReturnType<typeof decodePng>, fx: number, fy: number, rgb: number[]) => {
      const o = 4 * (Math.floor(fy * png.height) * png.width + Math.floor(fx * png.width));
      return rgb.every((c, k) => Math.abs(png.data[o + k] - c) <= 12);
    };
    for (const id of ['#field-fem', '#field-sdmm']) {
      const shot = decodePng(await p.locator(id).screenshot());
      expect(shot.width).toBeGreaterThanOrEqual(250);
      expect(near(shot, 0.5, 0.5, red), `${id} centre is u = +1`).toBe(true);
      expect(near(shot, 0.05, 0.05, blue), `${id} corner is u = −1`).toBe(true);
      expect(near(shot, 0.95, 0.95, blue), `${id} corner is u = −1`).toBe(true);
    }
    // The plot has both series' colours.
    const plot = decodePng(await p.locator('#plot').screenshot());
    const has = (rgb: number[]) => {
      for (let o = 0; o < plot.data.length; o += 4) if (rgb.every((c, k) => Math.abs(plot.data[o + k] - c) <= 20)) return true;
      return false;
    };
    expect(has([0x1f, 0x5f, 0xa8])).toBe(true);
    expect(has([0xd9, 0x66, 0x1f])).toBe(true);
  });
});
