/**
 * SDMM time per loss-and-gradient evaluation (one L-BFGS function evaluation: forward pass with
 * the tangents, reverse pass for ∂Jₙ/∂θ, download of the loss and gradient) on each available
 * TensorFlow.js backend, for the reduced star at the benchmark's network size (rank 16, width 32,
 * depth 2) and a few quadrature sizes. Median of REPEATS evaluations after WARMUP. The machine is
 * shared: compare backends within one run.
 *
 * Run: npx tsx benchmarks/sdmm-backends.ts [backend …]   → results/sdmm-backends.csv / .json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { stringify } from 'csv-stringify/sync';
import { makeProblem } from '../src/physics/problems.js';
import { compositeGaussLegendre } from '../src/quadrature/index.js';
import { createEngine, initialParameters, networkLayout, newGridField, type SdmmEngine } from '../src/sdmm/index.js';

const WARMUP = 10;
const REPEATS = 15;
const backends = process.argv.length > 2 ? process.argv.slice(2) : ['tensorflow', 'wasm', 'cpu'];
const problem = makeProblem('star', 'reduced');
const net = { rank: 16, width: 32, depth: 2, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true } as const;
const rows: Record<string, unknown>[] = [];

for (const backend of backends) {
  for (const quadElements of [32, 64, 128]) {
    const layout = networkLayout(problem, net);
    const rules = layout.axes.map((a) => compositeGaussLegendre(a.min, a.max, quadElements, 2));
    let engine: SdmmEngine;
    let name: string;
    try {
      ({ engine, backend: name } = await createEngine(backend as 'wasm', { layout, rules, epsilon: problem.epsilon, mobility: problem.mobility, tau: problem.tau }));
    } catch (e) {
      console.log(`${backend}: not available (${(e as Error).message})`);
      break;
    }
    const theta = initialParameters(layout, 1);
    const grad = new Float64Array(layout.size);
    const field = newGridField(engine.points, layout.dim);
    engine.fieldOnGrid(theta, field.u, field.grad);
    engine.setStep(field.u, field.grad, null);
    for (let i = 0; i < WARMUP; i++) engine.evaluate('step', theta, grad);
    const times: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const t0 = performance.now();
      engine.evaluate('step', theta, grad);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const row = { backend: name, quadElements, gridPoints: engine.points, parameters: layout.size, msPerEvaluation: times[times.length >> 1] };
    console.log(row);
    rows.push(row);
    engine.dispose();
  }
}
mkdirSync('results', { recursive: true });
writeFileSync('results/sdmm-backends.csv', stringify(rows, { header: true }));
writeFileSync(
  'results/sdmm-backends.json',
  JSON.stringify({ benchmark: 'sdmm-backends', problem: 'star (reduced)', network: net, warmup: WARMUP, repeats: REPEATS, machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version }, date: new Date().toISOString(), rows }, null, 2),
);
