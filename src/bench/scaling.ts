import { join } from 'node:path';
import { loadavg } from 'node:os';
import { ensureDirectory, writeFileAtomic } from '../io/atomic.js';
import { writeCsvAtomic } from '../io/csv.js';
import { makeProblem, type ProblemConfig } from '../physics/problems.js';
import { optionFields } from '../options.js';
import { createSolver, solverKind } from '../registry.js';
import { environmentInfo } from '../run/provenance.js';
import type { GradientFlowSolver } from '../solver.js';
import { renderLinePlotSvg, type Series } from './plot.js';

/**
 * `allen-cahn bench scaling` (npm run bench:scaling; bench:fem-scaling runs its FEM part at
 * N = 64…512): how the cost of one step grows with the problem size.
 *
 * - FEM: time per step against degrees of freedom, every scheme, structured P1 meshes of N × N
 *   squares on the star at paper-scale ε = 0.01, τ = 5e-5. Per (scheme, N): set-up time (mesh,
 *   geometry, pattern, M, K, the scheme's constant matrix and, for `stabilized`, its Cholesky
 *   factorization, and step 0), `warmup` steps (JIT, first factorizations), then `steps` timed
 *   steps: wall time (StepRecord.wallMs) and process CPU time (user + system, less sensitive to
 *   other jobs on a shared machine), Newton and linear iterations, the 1-minute load average.
 *   Targets at N = 256 (FEM_TARGETS_MS: mms-newton ≤ 250 ms/step, stabilized ≤ 30 ms/step;
 *   DOLFINx + PETSc + hypre here: ~500 and ~60 ms) are judged on the median wall time
 *   (meets_target) and the median CPU time (meets_target_cpu).
 * - SDMM: time per optimizer iteration against the number of quadrature points (n_e elements per
 *   axis × q = 2 Gauss points, rank 16) and against the rank r (n_e = 32); each configuration
 *   takes `steps` steps of exactly `iters` L-BFGS iterations (tol 0), after a deliberately loose
 *   initial fit (cost, not accuracy, is measured here).
 *
 * Writes <root>/scaling/fem-time-per-step.csv, sdmm-time-per-iteration.csv, SVG plots,
 * environment.json and SCALING.md.
 */

/** Wall-time targets per step at N = FEM_TARGET_N. */
export const FEM_TARGETS_MS: Readonly<Record<string, number>> = { 'mms-newton': 250, stabilized: 30 };
export const FEM_TARGET_N = 256;

export interface ScalingOptions {
  root: string;
  /** Run only one part. */
  only?: 'fem' | 'sdmm';
  femN: number[];
  sdmmElements: number[];
  ranks: number[];
  /** Timed steps per configuration. */
  steps: number;
  /** FEM steps before timing (the SDMM part always warms up with one step). */
  warmup: number;
  /** SDMM L-BFGS iterations per step. */
  iters: number;
  log?: (line: string) => void;
}

export const SCALING_DEFAULTS: Omit<ScalingOptions, 'root'> = { femN: [32, 64, 128, 256], sdmmElements: [8, 16, 32, 64], ranks: [4, 8, 16, 32], steps: 5, warmup: 1, iters: 10 };

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);

/** `warmup` untimed steps, then `steps` timed ones: wall (StepRecord) and CPU ms per step, iterations. */
async function timeSteps(solver: GradientFlowSolver, steps: number, warmup: number) {
  for (let i = 0; i < warmup; i++) await solver.step();
  const wall: number[] = [];
  const cpu: number[] = [];
  let iterations = 0;
  let linear = 0;
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const r = await solver.step();
    const c = process.cpuUsage(c0);
    wall.push(r.wallMs);
    cpu.push((c.user + c.system) / 1000);
    iterations += r.iterations;
    linear += r.linearIterations;
  }
  return { wall, cpu, iterations, linear };
}

/** Run the scaling benchmark and write its files. */
export async function runScaling(o: ScalingOptions): Promise<void> {
  const dir = join(o.root, 'scaling');
  ensureDirectory(dir);
  const env = environmentInfo();
  writeFileAtomic(join(dir, 'environment.json'), `${JSON.stringify(env, null, 2)}\n`);
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const md = ['# Cost growth', '', `${env.date}, ${env.cpu} (${env.cores} cores), Node ${env.node}, tfjs ${env.packages['@tensorflow/tfjs']}, commit ${env.git?.commit ?? 'unknown'}${env.git?.dirty ? ' (dirty)' : ''}.`, ''];

  if (o.only !== 'sdmm') {
    // Warm-up (JIT) so the first timed configuration is not penalised.
    const w = await createSolver(makeProblem('star', 'reduced', { n: 16 }), 'fem', { scheme: 'mms-newton', n: 16 });
    await w.initialise();
    await timeSteps(w, 1, 1);
    const femRows: (string | number)[][] = [];
    const femSeries: Series[] = [];
    const schemes = optionFields(solverKind('fem').options).find((f) => f.key === 'scheme')?.values ?? [];
    for (const scheme of schemes) {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const n of o.femN) {
        const problem: ProblemConfig = makeProblem('star', 'paper', { n, tau: 5e-5 });
        const t0 = performance.now();
        const solver = await createSolver(problem, 'fem', { scheme, n });
        await solver.initialise();
        const setupMs = performance.now() - t0;
        const d = solver.describe();
        const dofs = d.unknowns ?? Number.NaN;
        const { wall, cpu, iterations, linear } = await timeSteps(solver, o.steps, o.warmup);
        solver.dispose();
        const med = median(wall);
        const medCpu = median(cpu);
        const target = n === FEM_TARGET_N ? FEM_TARGETS_MS[scheme] : undefined;
        femRows.push([
          scheme,
          n,
          dofs,
          wall.length,
          med,
          sum(wall) / wall.length,
          iterations / wall.length,
          linear / wall.length,
          String(d.linearSolver ?? ''),
          setupMs,
          medCpu,
          Number(loadavg()[0].toFixed(2)),
          target ?? '',
          target === undefined ? '' : med <= target ? 'yes' : 'no',
          target === undefined ? '' : medCpu <= target ? 'yes' : 'no',
        ]);
        xs.push(dofs);
        ys.push(med);
        log(`fem ${scheme} n=${n} dofs=${dofs}: ${med.toFixed(2)} ms/step (cpu ${medCpu.toFixed(2)}; setup ${setupMs.toFixed(0)} ms)${target ? ` target ${target}` : ''}`);
      }
      femSeries.push({ label: scheme, x: xs, y: ys });
    }
    writeCsvAtomic(
      join(dir, 'fem-time-per-step.csv'),
      [
        'scheme',
        'n',
        'dofs',
        'timed_steps',
        'ms_per_step_median',
        'ms_per_step_mean',
        'iterations_per_step',
        'linear_iterations_per_step',
        'linear_solver',
        'setup_ms',
        'cpu_ms_per_step_median',
        'load_avg_1min',
        'target_ms_per_step',
        'meets_target',
        'meets_target_cpu',
      ],
      femRows,
    );
    writeFileAtomic(
      join(dir, 'fem-time-per-step.svg'),
      await renderLinePlotSvg(femSeries, { title: 'FEM: time per step (star, ε = 0.01, τ = 5e-5)', xTitle: 'degrees of freedom', yTitle: 'ms per step', xScale: 'log', yScale: 'log', points: true }),
    );
    md.push(
      `FEM: median wall time of ${o.steps} steps after ${o.warmup} warm-up step(s), star at ε = 0.01, τ = 5e-5, P1 triangles; CPU time, set-up time and the targets at N = ${FEM_TARGET_N} in \`fem-time-per-step.csv\`.`,
      '',
      '![FEM time per step](fem-time-per-step.svg)',
      '',
    );
  }

  if (o.only !== 'fem') {
    // SDMM: time per iteration against quadrature points and rank. Warm-up first (WebAssembly
    // compilation, backend start).
    const warm = await createSolver(makeProblem('star', 'reduced', {}), 'sdmm', { rank: 4, width: 8, depth: 1, quadElements: 4, maxIters: 2, tol: 0, fitTolerance: 1, fitMaxIters: 5 });
    await warm.initialise();
    await timeSteps(warm, 1, 1);
    warm.dispose();
    const sdmmRows: (string | number)[][] = [];
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
      const options = { rank: c.rank, width: 32, depth: 2, quadElements: c.quadElements, quadPoints: 2, maxIters: o.iters, tol: 0, fitTolerance: 1, fitMaxIters: 50 };
      const solver = await createSolver(problem, 'sdmm', options);
      await solver.initialise();
      const d = solver.describe();
      const { wall, iterations } = await timeSteps(solver, o.steps, 1);
      solver.dispose();
      const total = sum(wall);
      const msIter = total / Math.max(1, iterations);
      const points = (c.quadElements * 2) ** 2;
      sdmmRows.push([c.sweep, c.quadElements, 2, points, c.rank, 32, 2, d.unknowns ?? Number.NaN, iterations, total, msIter, d.backend ?? '']);
      if (c.sweep === 'points') {
        px.push(points);
        py.push(msIter);
      } else {
        rx.push(c.rank);
        ry.push(msIter);
      }
      log(`sdmm ${c.sweep} ne=${c.quadElements} rank=${c.rank}: ${msIter.toFixed(2)} ms/iteration (${d.backend})`);
    }
    writeCsvAtomic(
      join(dir, 'sdmm-time-per-iteration.csv'),
      ['sweep', 'quad_elements', 'quad_points', 'points', 'rank', 'width', 'depth', 'parameters', 'iterations', 'wall_ms', 'ms_per_iteration', 'backend'],
      sdmmRows,
    );
    writeFileAtomic(
      join(dir, 'sdmm-time-per-iteration-points.svg'),
      await renderLinePlotSvg([{ label: 'rank 16', x: px, y: py }], { title: 'SDMM: time per L-BFGS iteration against quadrature points', xTitle: 'quadrature points', yTitle: 'ms per iteration', xScale: 'log', yScale: 'log', points: true }),
    );
    writeFileAtomic(
      join(dir, 'sdmm-time-per-iteration-rank.svg'),
      await renderLinePlotSvg([{ label: '64×64 points', x: rx, y: ry }], { title: 'SDMM: time per L-BFGS iteration against rank', xTitle: 'rank r', yTitle: 'ms per iteration', xScale: 'log', yScale: 'log', points: true }),
    );
    md.push(
      `SDMM: wall time per L-BFGS iteration (${o.iters} iterations per step, ${o.steps} steps after a warm-up step; width 32, depth 2, q = 2) (\`sdmm-time-per-iteration.csv\`).`,
      '',
      '![SDMM time per iteration against quadrature points](sdmm-time-per-iteration-points.svg)',
      '',
      '![SDMM time per iteration against rank](sdmm-time-per-iteration-rank.svg)',
      '',
    );
  }
  writeFileAtomic(join(dir, 'SCALING.md'), md.join('\n'));
  log(`wrote ${dir}/`);
}
