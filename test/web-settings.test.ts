import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontProfile } from '../src/physics/energy.js';
import { findChromium } from '../web/browser.js';
import { serveStatic } from '../web/serve.js';
import {
  DEFAULT_SETTINGS,
  DRAW_LATTICE,
  drawnInitial,
  problemDefaults,
  femOptions,
  problemFromSettings,
  sdmmOptions,
  PAGE_SDMM_MAX_ITERS,
  settingsFromQuery,
} from '../web/src/settings.js';

/** The DOM-free parts of the page: settings, the painted initial condition, the static server. */

describe('drawnInitial (the painted u₀)', () => {
  it('turns a half-plane painting into the equilibrium profile tanh(d/(√2 ε)) within 0.03', () => {
    // Exact solution used: the 1D steady front u = tanh((x − ½)/(√2 ε)); the Gaussian blur
    // (σ = 1.2 ε) gives erf(d/(√2 σ)), which differs from it by at most 0.0195 for every ε.
    const L = DRAW_LATTICE;
    const mask = new Float32Array(L * L);
    for (let j = 0; j < L; j++) for (let i = 0; i < L; i++) mask[j * L + i] = i < L / 2 ? -1 : 1;
    for (const epsilon of [0.02, 0.04]) {
      const u0 = drawnInitial(mask, epsilon);
      let worst = 0;
      for (let k = 0; k <= 200; k++) {
        const x = k / 200;
        for (const y of [0.1, 0.5, 0.93]) worst = Math.max(worst, Math.abs(u0(x, y) - frontProfile(x - 0.5, epsilon)));
      }
      expect(worst).toBeLessThan(0.03);
      expect(u0(0.5, 0.5)).toBeCloseTo(0, 12);
    }
  });

  it('stays within [−1, 1] and is ±1 far from the painted edge, up to the domain boundary', () => {
    const L = DRAW_LATTICE;
    const mask = new Float32Array(L * L).fill(-1);
    // A + square [0.25, 0.75]² touching nothing, and a + strip of width 0.125 along the side x = 0.
    for (let j = 0; j < L; j++) {
      for (let i = 0; i < L; i++) if ((i >= L / 4 && i < (3 * L) / 4 && j >= L / 4 && j < (3 * L) / 4) || i < 16) mask[j * L + i] = 1;
    }
    const u0 = drawnInitial(mask, 0.02);
    for (let k = 0; k <= 100; k++) {
      for (let m = 0; m <= 100; m++) {
        const v = u0(k / 100, m / 100);
        expect(Math.abs(v)).toBeLessThanOrEqual(1);
      }
    }
    expect(u0(0.5, 0.5)).toBeCloseTo(1, 6);
    expect(u0(0.9, 0.9)).toBeCloseTo(-1, 6);
    expect(u0(0, 0.1)).toBeCloseTo(1, 6); // the reflecting boundary keeps the strip at +1 up to x = 0
  });
});

describe('settings', () => {
  it('reads a URL query over the defaults and maps it onto the library options', () => {
    const s = settingsFromQuery('?problem=circle&epsilon=0.05&tau=2e-4&resolution=48&scheme=stabilized&rank=4&width=8&depth=3&quadElements=20&stopStep=7&run=1');
    expect(s).toMatchObject({ problem: 'circle', epsilon: 0.05, tau: 2e-4, resolution: 48, scheme: 'stabilized', rank: 4, width: 8, depth: 3, quadElements: 20, stopStep: 7 });
    const p = problemFromSettings(s);
    expect([p.name, p.epsilon, p.tau, p.n, p.boundary.xmin?.kind]).toEqual(['circle', 0.05, 2e-4, 48, 'neumann']);
    expect(femOptions(s)).toEqual({ scheme: 'stabilized', n: 48 });
    const common = { rank: 4, width: 8, depth: 3, quadElements: 20, maxIters: PAGE_SDMM_MAX_ITERS, fitTolerance: 1e-6 };
    expect(sdmmOptions(s, 'wasm')).toEqual({ ...common, backend: 'wasm' });
    // The float64 engine runs on one thread in the page, and the Node run of the same settings with it.
    expect(sdmmOptions(s, 'js')).toEqual({ ...common, backend: 'js', threads: 1 });
    expect(settingsFromQuery('')).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.engine).toBe('js');
    expect(settingsFromQuery('engine=wasm').engine).toBe('wasm');
  });

  it('a catalogue problem brings its reduced ε, τ, mesh and T/τ steps; URL values override them', () => {
    expect(problemDefaults('star')).toEqual({ epsilon: 0.04, tau: 1e-4, resolution: 64, stopStep: 40 });
    expect(DEFAULT_SETTINGS).toMatchObject(problemDefaults('star'));
    expect(settingsFromQuery('problem=coarsening')).toMatchObject({ epsilon: 0.02, tau: 2e-4, resolution: 128, stopStep: 200 });
    expect(settingsFromQuery('problem=random&tau=1e-4')).toMatchObject({ tau: 1e-4, stopStep: 200 });
    expect(problemDefaults('drawn')).toEqual({});
  });

  it('gives a drawn problem on [0,1]² with Neumann sides and the painted u₀', () => {
    const s = settingsFromQuery('problem=drawn');
    expect(s.drawn).toHaveLength(DRAW_LATTICE * DRAW_LATTICE);
    s.drawn!.fill(1);
    const p = problemFromSettings(s);
    expect([p.name, p.dim, p.domain.min, p.domain.max, p.boundary.ymax?.kind]).toEqual(['drawn', 2, [0, 0], [1, 1], 'neumann']);
    expect(p.initial(0.3, 0.7)).toBeCloseTo(1, 12);
  });

  it('rejects bad input with one line naming it', () => {
    expect(() => settingsFromQuery('colour=red')).toThrow("unknown URL setting 'colour'");
    expect(() => settingsFromQuery('epsilon=-1')).toThrow('epsilon must be a positive number, got -1');
    expect(() => settingsFromQuery('rank=2.5')).toThrow('rank must be an integer in [1, 128], got 2.5');
    expect(() => settingsFromQuery('problem=ac1d')).toThrow('problem must be one of star, circle, coarsening, random, drawn, got ac1d');
    expect(() => settingsFromQuery('engine=webgl')).toThrow('engine must be one of js, wasm, got webgl');
    expect(() => settingsFromQuery('scheme=rk4')).toThrow('scheme must be one of mms-newton, stabilized, convex-split, got rk4');
    expect(() => problemFromSettings({ ...DEFAULT_SETTINGS, problem: 'drawn' })).toThrow("drawn must hold 128² painted values for problem 'drawn'");
  });
});

describe('findChromium', () => {
  it('names a CHROMIUM_PATH that does not exist', () => {
    expect(() => findChromium({ CHROMIUM_PATH: '/nonexistent/chromium' })).toThrow('CHROMIUM_PATH=/nonexistent/chromium does not exist');
  });
});

describe('the static server (web/serve.ts)', () => {
  let root: string;
  let port: number;
  let close: () => void;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'allen-cahn-serve-'));
    mkdirSync(join(root, 'site'));
    writeFileSync(join(root, 'site', 'index.html'), '<p>hi</p>');
    writeFileSync(join(root, 'site', 'a.wasm'), Buffer.from([0, 97, 115, 109]));
    writeFileSync(join(root, 'secret.txt'), 'outside');
    const server = await serveStatic(join(root, 'site'), 0);
    port = (server.address() as AddressInfo).port;
    close = () => server.close();
  });
  afterAll(() => {
    close();
    rmSync(root, { recursive: true, force: true });
  });
  const get = (path: string, method = 'GET') =>
    new Promise<{ status: number; type: string; body: string }>((ok, fail) => {
      const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => ok({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
      });
      req.on('error', fail);
      req.end();
    });

  it('serves files with their content type, index.html for /, and nothing outside its folder', async () => {
    expect(await get('/')).toEqual({ status: 200, type: 'text/html; charset=utf-8', body: '<p>hi</p>' });
    expect((await get('/a.wasm')).type).toBe('application/wasm');
    expect((await get('/missing.js')).status).toBe(404);
    expect((await get('/../secret.txt')).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('/', 'POST')).status).toBe(404);
  });
});
