/**
 * `npm run bench:sdmm-eval`: the cost of ONE evaluation of the SDMM step loss Jₙ and its
 * θ-gradient (what an L-BFGS iteration pays per function evaluation), on the reduced star, for
 * the float64 CPU engine (backend `js`, src/sdmm/engine) and today's TensorFlow.js path
 * (backends `wasm`, `cpu`; float32; the valueAndGrad of src/sdmm/solver.ts reproduced here from the
 * network.ts helpers: Jₙ(u) − Jₙ(uⁿ) written as differences, upload of θ, download of value and
 * gradient).
 *
 * For each backend × threads × quad elements × rank: θ = Glorot(seed 1), uⁿ = u_θ on the grid
 * (so the movement term is that of a real step), evaluations at θ + 1e-3·δ; WARMUP evaluations,
 * then the median of REPEATS timed ones (performance.now around one call).
 *
 *   npm run bench:sdmm-eval -- --quad-elements 32,64,128,256 --rank 16,64 --width 32 --depth 2 \
 *     [--backend js,wasm,cpu] [--threads 1,2] [--repeats 25] --out results/sdmm-eval.csv
 *
 * quad elements × 2 Gauss points per axis: 32 → 64² points … 256 → 512² points. Columns:
 * backend, precision, threads, quad_elements, points, rank, width, depth, parameters, evaluations
 * (the timed repeats), ms_per_evaluation (median), peak_rss_mb (peak resident set of the benchmark
 * process so far). The sidecar <out>.json holds the machine, versions, git commit, configuration
 * and per row the minimum wall time, the process CPU time per evaluation (all threads) and the
 * 1-minute load average (the machine may be shared: compare rows of one run).
 */
import * as tf from '../src/sdmm/tf.js';
import { Command, InvalidArgumentError } from 'commander';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { environmentInfo } from '../src/run/provenance.js';
import { ensureDirectory, writeFileAtomic } from '../src/io/atomic.js';
import { writeCsvAtomic } from '../src/io/csv.js';
import { makeProblem } from '../src/physics/problems.js';
import { mulberry32 } from '../src/physics/random.js';
import { compositeGaussLegendre, type Rule1D } from '../src/quadrature/index.js';
import { selectBackend } from '../src/sdmm/backend.js';
import { createCpuEngine } from '../src/sdmm/engine/cpu-engine.js';
import { alphaOf, boundedFieldTf, separableFieldTf } from '../src/sdmm/engine/tfjs.js';
import { encodeAxis, initialParameters, networkLayout, type NetworkLayout } from '../src/sdmm/network.js';

const COLUMNS = ['backend', 'precision', 'threads', 'quad_elements', 'points', 'rank', 'width', 'depth', 'parameters', 'evaluations', 'ms_per_evaluation', 'peak_rss_mb'] as const;
const BACKENDS = ['js', 'wasm', 'cpu'] as const;
type Backend = (typeof BACKENDS)[number];

function intList(v: string): number[] {
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((x) => !Number.isInteger(x) || x < 1)) throw new InvalidArgumentError(`expected a comma-separated list of positive integers, got '${v}'`);
  return list;
}

function backendList(v: string): Backend[] {
  const list = v.split(',').map((s) => s.trim());
  for (const b of list) if (!(BACKENDS as readonly string[]).includes(b)) throw new InvalidArgumentError(`backend must be one of ${BACKENDS.join(', ')}, got '${b}'`);
  return list as Backend[];
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

interface Timing {
  /** Median and minimum wall time of one call (ms). */
  median: number;
  min: number;
  /** Process CPU time (user + system, all threads) per call (ms): on a shared machine, CPU/threads ≈ wall when not preempted. */
  cpu: number;
}

/** Wall times of `repeats` calls after `warmup` calls. */
function time(f: () => void, warmup: number, repeats: number): Timing {
  for (let i = 0; i < warmup; i++) f();
  const t: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  return { median: median(t), min: Math.min(...t), cpu: (c.user + c.system) / 1000 / repeats };
}

const peakRssMb = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

interface Config {
  layout: NetworkLayout;
  rules: Rule1D[];
  theta0: Float64Array;
  theta: Float64Array;
  epsilon: number;
  mobility: number;
  tau: number;
}

function config(quadElements: number, rank: number, width: number, depth: number): Config {
  const problem = makeProblem('star', 'reduced');
  const layout = networkLayout(problem, { rank, width, depth, activation: 'tanh', alpha: 1, trainAlpha: false, bound: true });
  const rules = layout.axes.map((a) => compositeGaussLegendre(a.min, a.max, quadElements, 2));
  const theta0 = Float64Array.from(initialParameters(layout, 1));
  const rand = mulberry32(2);
  const theta = theta0.map((v) => v + 1e-3 * (2 * rand() - 1));
  return { layout, rules, theta0, theta, epsilon: problem.epsilon, mobility: problem.mobility, tau: problem.tau };
}

/** One evaluation of the CPU engine's step objective, as a closure; dispose() when done. */
function jsEvaluation(c: Config, threads: number): { run: () => void; threads: number; dispose: () => void } {
  const engine = createCpuEngine({ layout: c.layout, rules: c.rules, epsilon: c.epsilon, mobility: c.mobility, tau: c.tau, threads });
  const N = engine.points;
  const u = new Float64Array(N);
  const g = c.rules.map(() => new Float64Array(N));
  engine.fieldOnGrid(c.theta0, u, g);
  engine.setStep(u, g, null);
  const grad = new Float64Array(c.layout.size);
  return { run: () => void engine.evaluate('step', c.theta, grad), threads: engine.threads, dispose: () => engine.dispose() };
}

/** solver.ts's float32 step loss (the difference form), from the network.ts helpers. */
function tfjsEvaluation(c: Config): { run: () => void; dispose: () => void } {
  const { layout, rules } = c;
  const shape = rules.map((r) => r.points.length);
  const inputs = layout.axes.map((axis, a) => {
    const { enc, dEnc } = encodeAxis(axis, rules[a].points);
    return { enc: tf.tensor2d(Float32Array.from(enc), [shape[a], axis.inputs]), dEnc: tf.tensor2d(Float32Array.from(dEnc), [shape[a], axis.inputs]) };
  });
  const w = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < shape[0]; i++) for (let j = 0; j < shape[1]; j++) w[i * shape[1] + j] = rules[0].weights[i] * rules[1].weights[j];
  const weightsT = tf.tensor(w, shape);
  const fieldTf = (th: tf.Tensor1D) => boundedFieldTf(separableFieldTf(th, layout, inputs), alphaOf(th, layout), layout.bound);
  const prev = tf.tidy(() => {
    const f = fieldTf(tf.tensor1d(Float32Array.from(c.theta0)));
    return [f.u, ...f.grad];
  });
  const [uPrevT, ...uPrevGradT] = prev;
  const invEps2 = 1 / (c.epsilon * c.epsilon);
  const invMovement = 1 / (2 * c.mobility * c.tau);
  const valueAndGrad = tf.valueAndGrad((theta: tf.Tensor1D) => {
    const { u, grad } = fieldTf(theta);
    let density = tf.mul(0.5, grad.map((g, k) => tf.mul(tf.sub(g, uPrevGradT[k]), tf.add(g, uPrevGradT[k]))).reduce((a, b) => tf.add(a, b)));
    const du = tf.sub(u, uPrevT);
    const bulk = tf.mul(tf.mul(du, tf.add(u, uPrevT)), tf.sub(tf.add(tf.square(u), tf.square(uPrevT)), 2));
    density = tf.add(density, tf.mul(0.25 * invEps2, bulk));
    density = tf.add(density, tf.mul(invMovement, tf.square(du)));
    return tf.sum(tf.mul(weightsT, density)) as tf.Scalar;
  });
  const theta32 = Float32Array.from(c.theta);
  const grad = new Float64Array(layout.size);
  return {
    run: () =>
      tf.tidy(() => {
        const r = valueAndGrad(tf.tensor1d(theta32, 'float32'));
        r.value.dataSync();
        grad.set(r.grad.dataSync());
      }),
    dispose: () => {
      for (const t of [...prev, weightsT, ...inputs.flatMap((i) => [i.enc, i.dEnc])]) t.dispose();
    },
  };
}

interface Options {
  quadElements: number[];
  rank: number[];
  width: number;
  depth: number;
  backend: Backend[];
  threads: number[];
  repeats: number;
  warmup: number;
  out: string;
}

const program = new Command()
  .name('bench:sdmm-eval')
  .description('time one SDMM step-loss + gradient evaluation per backend (reduced star)')
  .option('--quad-elements <list>', 'quadrature elements per axis (× 2 Gauss points)', intList, [32, 64, 128, 256])
  .option('--rank <list>', 'ranks r', intList, [16, 64])
  .option('--width <n>', 'hidden width', (v) => intList(v)[0], 32)
  .option('--depth <n>', 'hidden layers', (v) => intList(v)[0], 2)
  .option('--backend <list>', `backends (${BACKENDS.join(', ')})`, backendList, ['js'] as Backend[])
  .option('--threads <list>', 'threads of the js engine', intList, [1])
  .option('--repeats <n>', 'timed evaluations (median)', (v) => intList(v)[0], 25)
  .option('--warmup <n>', 'untimed evaluations first (tfjs compiles kernels on first use)', (v) => intList(v)[0], 10)
  .option('--out <file>', 'CSV output (a sidecar <file>.json holds the provenance)', 'results/sdmm-eval.csv')
  .action(async (o: Options) => {
    if (o.repeats < 20) throw new InvalidArgumentError(`--repeats must be at least 20, got ${o.repeats}`);
    ensureDirectory(dirname(o.out));
    const rows: (string | number)[][] = [];
    /** Per row: minimum wall time, process CPU time per evaluation, 1-minute load average. */
    const details: { min_ms: number; cpu_ms: number; load_avg_1min: number }[] = [];
    for (const backend of o.backend) {
      if (backend !== 'js') await selectBackend(backend);
      for (const threads of backend === 'js' ? o.threads : [1]) {
        for (const rank of o.rank) {
          for (const qe of o.quadElements) {
            const c = config(qe, rank, o.width, o.depth);
            const points = c.rules.reduce((p, r) => p * r.points.length, 1);
            let ms: Timing;
            let used = 1;
            if (backend === 'js') {
              const e = jsEvaluation(c, threads);
              used = e.threads;
              ms = time(e.run, o.warmup, o.repeats);
              e.dispose();
            } else {
              const e = tfjsEvaluation(c);
              ms = time(e.run, o.warmup, o.repeats);
              e.dispose();
            }
            const row = [backend, backend === 'js' ? 'float64' : 'float32', used, qe, points, rank, o.width, o.depth, c.layout.size, o.repeats, +ms.median.toFixed(4), peakRssMb()];
            rows.push(row);
            const extra = { min_ms: +ms.min.toFixed(4), cpu_ms: +ms.cpu.toFixed(4), load_avg_1min: +loadavg()[0].toFixed(2) };
            details.push(extra);
            process.stderr.write(`${COLUMNS.map((k, i) => `${k}=${row[i]}`).join(' ')} min=${extra.min_ms} cpu=${extra.cpu_ms} load=${extra.load_avg_1min}\n`);
          }
        }
      }
    }
    writeCsvAtomic(o.out, COLUMNS, rows);
    const sidecar = {
      benchmark: 'sdmm-eval',
      problem: 'star (reduced)',
      objective: 'step',
      activation: 'tanh',
      bound: true,
      options: o,
      rows: rows.map((row, i) => ({ ...Object.fromEntries(COLUMNS.map((k, c) => [k, row[c]])), ...details[i] })),
      environment: environmentInfo(),
    };
    writeFileAtomic(`${o.out.replace(/\.csv$/, '')}.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
    process.stderr.write(`wrote ${o.out} (${rows.length} rows)\n`);
  });

await program.parseAsync();
