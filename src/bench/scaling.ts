#!/usr/bin/env node
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ensureDirectory, writeFileAtomic } from '../io/atomic.js';
import { writeCsvAtomic } from '../io/csv.js';
import { makeProblem, type ProblemConfig } from '../physics/problems.js';
import type { GradientFlowSolver } from '../solver.js';
import { FEM_SCHEMES } from '../fem/schemes/index.js';
import { environmentInfo } from './environment.js';
import { renderLinePlotSvg, type Series } from './plot.js';
import { createBenchSolver } from './solvers.js';

/**
 * `npm run bench:scaling`: how the cost of one step grows with the problem size.
 *
 * - FEM: time per step against degrees of freedom, every scheme, structured P1 meshes
 *   n = 32…256 (cells per side) on the star at paper-scale ε = 0.01, τ = 5e-5 (the setting of
 *   the FEM issue's target); the median over `steps` steps after the first (which includes
 *   one-off set-up such as preconditioner construction).
 * - SDMM: time per optimizer iteration against the number of quadrature points (n_e elements per
 *   axis × q = 2 Gauss points, rank 16) and against the rank r (n_e = 32); each configuration
 *   takes `steps` steps of exactly `iters` L-BFGS iterations (tol 0), after a deliberately loose
 *   initial fit (cost, not accuracy, is measured here).
 *
 * Writes results/scaling/fem-time-per-step.csv, sdmm-time-per-iteration.csv, SVG plots,
 * environment.json and SCALING.md.
 */

function intList(v: string): number[] {
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((x) => !Number.isInteger(x) || x < 1)) throw new InvalidArgumentError(`expected a comma-separated list of positive integers, got '${v}'`);
  return list;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

async function timeSteps(solver: GradientFlowSolver, steps: number) {
  await solver.initialise();
  const wall: number[] = [];
  let iterations = 0;
  let linear = 0;
  for (let i = 0; i <= steps; i++) {
    const r = await solver.step();
    if (i === 0) continue; // warm-up step
    wall.push(r.wallMs);
    iterations += r.iterations;
    linear += r.linearIterations;
  }
  return { wall, iterations, linear };
}

const program = new Command()
  .name('bench:scaling')
  .option('--root <dir>', 'results root', 'results')
  .option('--fem-n <list>', 'FEM cells per side', intList, [32, 64, 128, 256])
  .option('--sdmm-elements <list>', 'SDMM quadrature elements per axis (rank 16)', intList, [8, 16, 32, 64])
  .option('--ranks <list>', 'SDMM ranks (32 elements per axis)', intList, [4, 8, 16, 32])
  .option('--steps <k>', 'timed steps per configuration', (v) => intList(v)[0], 5)
  .option('--iters <k>', 'SDMM L-BFGS iterations per step', (v) => intList(v)[0], 10)
  .action(async (o: { root: string; femN: number[]; sdmmElements: number[]; ranks: number[]; steps: number; iters: number }) => {
    const dir = join(o.root, 'scaling');
    ensureDirectory(dir);
    const env = environmentInfo();
    writeFileAtomic(join(dir, 'environment.json'), `${JSON.stringify(env, null, 2)}\n`);
    const log = (s: string) => process.stderr.write(`${s}\n`);

    // Warm-up (JIT, WebAssembly compilation, backend start) so the first timed configuration is not penalised.
    await timeSteps(await createBenchSolver(makeProblem('star', 'reduced', { n: 16 }), { kind: 'fem', scheme: 'mms-newton', n: 16 }), 1);
    const warm = await createBenchSolver(makeProblem('star', 'reduced', {}), { kind: 'sdmm', rank: 4, width: 8, depth: 1, quadElements: 4, maxIters: 2, tol: 0, fitTolerance: 1, fitMaxIters: 5 });
    await timeSteps(warm, 1);
    warm.dispose();

    // FEM: time per step against DOFs
    const femRows: (string | number)[][] = [];
    const femSeries: Series[] = [];
    for (const scheme of FEM_SCHEMES) {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const n of o.femN) {
        const problem: ProblemConfig = makeProblem('star', 'paper', { n, tau: 5e-5 });
        const solver = await createBenchSolver(problem, { kind: 'fem', scheme, n });
        const dofs = Number(solver.describe().dofs);
        const { wall, iterations, linear } = await timeSteps(solver, o.steps);
        solver.dispose();
        const med = median(wall);
        femRows.push([scheme, n, dofs, wall.length, med, wall.reduce((s, x) => s + x, 0) / wall.length, iterations / wall.length, linear / wall.length]);
        xs.push(dofs);
        ys.push(med);
        log(`fem ${scheme} n=${n} dofs=${dofs}: ${med.toFixed(2)} ms/step`);
      }
      femSeries.push({ label: scheme, x: xs, y: ys });
    }
    writeCsvAtomic(
      join(dir, 'fem-time-per-step.csv'),
      ['scheme', 'n', 'dofs', 'timed_steps', 'ms_per_step_median', 'ms_per_step_mean', 'iterations_per_step', 'linear_iterations_per_step'],
      femRows,
    );
    writeFileAtomic(
      join(dir, 'fem-time-per-step.svg'),
      await renderLinePlotSvg(femSeries, { title: 'FEM: time per step (star, ε = 0.01, τ = 5e-5)', xTitle: 'degrees of freedom', yTitle: 'ms per step', xScale: 'log', yScale: 'log', points: true }),
    );

    // SDMM: time per iteration against quadrature points and rank
    const sdmmRows: (string | number)[][] = [];
    const sdmmPoints: Series[] = [];
    const sdmmRank: Series[] = [];
    const configs = [
      ...o.sdmmElements.map((ne) => ({ sweep: 'points', quadElements: ne, rank: 16 })),
      ...o.ranks.map((rank) => ({ sweep: 'rank', quadElements: 32, rank })),
    ];
    const px: number[] = [];
    const py: number[] = [];
    const rx: number[] = [];
    const ry: number[] = [];
    for (const c of configs) {
      const problem = makeProblem('star', 'reduced', {});
      const spec = {
        kind: 'sdmm' as const,
        rank: c.rank,
        width: 32,
        depth: 2,
        quadElements: c.quadElements,
        quadPoints: 2,
        maxIters: o.iters,
        tol: 0,
        fitTolerance: 1,
        fitMaxIters: 50,
      };
      const solver = await createBenchSolver(problem, spec);
      const d = solver.describe();
      const { wall, iterations } = await timeSteps(solver, o.steps);
      solver.dispose();
      const total = wall.reduce((s, x) => s + x, 0);
      const msIter = total / Math.max(1, iterations);
      const points = (c.quadElements * 2) ** 2;
      sdmmRows.push([c.sweep, c.quadElements, 2, points, c.rank, 32, 2, Number(d.parameters), iterations, total, msIter, String(d.backend)]);
      if (c.sweep === 'points') {
        px.push(points);
        py.push(msIter);
      } else {
        rx.push(c.rank);
        ry.push(msIter);
      }
      log(`sdmm ${c.sweep} ne=${c.quadElements} rank=${c.rank}: ${msIter.toFixed(2)} ms/iteration (${d.backend})`);
    }
    sdmmPoints.push({ label: 'rank 16', x: px, y: py });
    sdmmRank.push({ label: '64×64 points', x: rx, y: ry });
    writeCsvAtomic(
      join(dir, 'sdmm-time-per-iteration.csv'),
      ['sweep', 'quad_elements', 'quad_points', 'points', 'rank', 'width', 'depth', 'parameters', 'iterations', 'wall_ms', 'ms_per_iteration', 'backend'],
      sdmmRows,
    );
    writeFileAtomic(
      join(dir, 'sdmm-time-per-iteration-points.svg'),
      await renderLinePlotSvg(sdmmPoints, { title: 'SDMM: time per L-BFGS iteration against quadrature points', xTitle: 'quadrature points', yTitle: 'ms per iteration', xScale: 'log', yScale: 'log', points: true }),
    );
    writeFileAtomic(
      join(dir, 'sdmm-time-per-iteration-rank.svg'),
      await renderLinePlotSvg(sdmmRank, { title: 'SDMM: time per L-BFGS iteration against rank', xTitle: 'rank r', yTitle: 'ms per iteration', xScale: 'log', yScale: 'log', points: true }),
    );
    writeFileAtomic(
      join(dir, 'SCALING.md'),
      [
        '# Cost growth',
        '',
        `${env.date}, ${env.cpu} (${env.cores} cores), Node ${env.node}, tfjs ${env.packages['@tensorflow/tfjs']}, commit ${env.git?.commit ?? 'unknown'}${env.git?.dirty ? ' (dirty)' : ''}.`,
        '',
        `FEM: median wall time of ${o.steps} steps after a warm-up step, star at ε = 0.01, τ = 5e-5, P1 triangles (\`fem-time-per-step.csv\`).`,
        '',
        '![FEM time per step](fem-time-per-step.svg)',
        '',
        `SDMM: wall time per L-BFGS iteration (${o.iters} iterations per step, ${o.steps} steps after a warm-up step; width 32, depth 2, q = 2) (\`sdmm-time-per-iteration.csv\`).`,
        '',
        '![SDMM time per iteration against quadrature points](sdmm-time-per-iteration-points.svg)',
        '',
        '![SDMM time per iteration against rank](sdmm-time-per-iteration-rank.svg)',
        '',
      ].join('\n'),
    );
    log(`wrote ${dir}/`);
  });

await program.parseAsync();
