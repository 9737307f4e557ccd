import { formatStepsCsv } from '../../src/io/csv.js';
import { resolutionWarning, underResolvedMessage, type Resolution } from '../../src/physics/resolution.js';
import type { StepRecord } from '../../src/solver.js';
import { checkStability, satisfiesEnergyInequality } from '../../src/stability/index.js';
import { difference, drawColorBar, drawField } from './fields.js';
import { drawEnergyPlot } from './plot.js';
import type { FromWorker } from './protocol.js';
import { DEFAULT_SETTINGS, DRAW_LATTICE, problemDefaults, SettingsError, settingsFromQuery, validateSettings, type WebSettings } from './settings.js';

/**
 * The page: settings form, one Web Worker per solver, the two fields and their difference, the
 * live energy plot, per-solver status (engine, ms per step, iterations, stability verdict) and
 * steps.csv downloads.
 *
 * The solvers advance in lockstep: step n+1 is requested from both only when both have
 * reported step n, so the plot and the difference always compare one time. A solver that fails
 * (e.g. an SDMM fit that does not reach its tolerance) drops out and the other goes on.
 * Any change of a setting restarts the run from step 0 (the workers are replaced).
 */

/** Points per side of the display grid on which both workers sample u. */
const GRID = 128;

type LaneName = 'fem' | 'sdmm';

interface Lane {
  readonly name: LaneName;
  worker: Worker;
  records: StepRecord[];
  /** u on the display grid at recent steps (pruned below the common step). */
  fields: Map<number, Float64Array>;
  busy: boolean;
  error: string | null;
  engine: string;
  /** The resolution check (src/physics/resolution.ts) of the solver's grid against ε; '' until ready. */
  resolution: string;
  underResolved: boolean;
}

/** The page's names of the options that refine a grid (the form's labels). */
const REFINE_LABELS: Record<string, string> = { n: 'cells per side', quadElements: 'quadrature elements' };

/** 'h = 0.0221 ≤ ε = 0.04 (mesh: …)', or the under-resolved warning in the form's words. */
function resolutionLine(resolution: Resolution | undefined, epsilon: number): { text: string; warn: boolean } {
  if (!resolution) return { text: '', warn: false };
  const w = resolutionWarning(resolution, epsilon);
  if (w) return { text: underResolvedMessage({ ...w, refine: w.refine.filter((o) => o in REFINE_LABELS) }, (o) => REFINE_LABELS[o]), warn: true };
  return { text: `h = ${fmt(resolution.h, 3)} ≤ ε = ${fmt(epsilon, 3)} (${resolution.of})`, warn: false };
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
};

const NUMBER_FIELDS = ['epsilon', 'tau', 'resolution', 'rank', 'width', 'depth', 'quadElements', 'stopStep'] as const;

let settings: WebSettings;
let lanes: Lane[] = [];
let generation = 0;
let running = false;
const mask = new Float32Array(DRAW_LATTICE * DRAW_LATTICE).fill(-1);
const diffValues = new Float64Array(GRID * GRID);

function showMessage(text: string): void {
  $('message').textContent = text;
}

function writeForm(s: WebSettings): void {
  ($('problem') as HTMLSelectElement).value = s.problem;
  ($('scheme') as HTMLSelectElement).value = s.scheme;
  ($('engine') as HTMLSelectElement).value = s.engine;
  for (const key of NUMBER_FIELDS) ($(key) as HTMLInputElement).value = String(s[key]);
}

/** The form's values, not yet validated. */
function readFormRaw(): WebSettings {
  const s: WebSettings = {
    ...settings,
    problem: ($('problem') as HTMLSelectElement).value as WebSettings['problem'],
    scheme: ($('scheme') as HTMLSelectElement).value as WebSettings['scheme'],
    engine: ($('engine') as HTMLSelectElement).value as WebSettings['engine'],
  };
  for (const key of NUMBER_FIELDS) s[key] = Number(($(key) as HTMLInputElement).value);
  s.drawn = s.problem === 'drawn' ? new Float32Array(mask) : undefined;
  return s;
}

function readForm(): WebSettings {
  const s = readFormRaw();
  validateSettings(s);
  return s;
}

function workerUrl(name: LaneName): string {
  return new URL(`${name}-worker.js`, document.baseURI).href;
}

/** Terminate the workers and start both solvers from step 0 with the current settings. */
function restart(): void {
  for (const lane of lanes) lane.worker.terminate();
  const gen = ++generation;
  lanes = (['fem', 'sdmm'] as const).map((name) => {
    const lane: Lane = { name, worker: new Worker(workerUrl(name)), records: [], fields: new Map(), busy: true, error: null, engine: 'starting…', resolution: '', underResolved: false };
    lane.worker.onmessage = (event: MessageEvent<FromWorker>) => {
      if (gen === generation) receive(lane, event.data);
    };
    lane.worker.onerror = (event) => {
      if (gen !== generation) return;
      lane.error = `worker error: ${event.message || 'failed to load'}`;
      lane.busy = false;
      render();
      pump();
    };
    lane.worker.postMessage({ type: 'init', settings, grid: GRID });
    return lane;
  });
  document.body.dataset.generation = String(gen);
  render();
}

function receive(lane: Lane, message: FromWorker): void {
  if (message.type === 'ready') {
    lane.engine = message.engine;
    const line = resolutionLine(message.describe.resolution as Resolution | undefined, settings.epsilon);
    lane.resolution = line.text;
    lane.underResolved = line.warn;
  } else if (message.type === 'record') {
    lane.records.push(message.record);
    lane.fields.set(message.record.step, message.field);
    lane.busy = false;
  } else {
    lane.error = message.step === null ? message.message : `step ${message.step}: ${message.message}`;
    lane.busy = false;
  }
  render();
  pump();
}

const live = () => lanes.filter((l) => l.error === null);
const lastStep = (lane: Lane) => lane.records.length - 1;

/** Request the next step from every live solver when all have reported the same step. */
function advance(): boolean {
  const active = live();
  if (active.length === 0 || active.some((l) => l.busy || l.records.length === 0)) return false;
  const n = lastStep(active[0]);
  if (active.some((l) => lastStep(l) !== n)) return false;
  for (const lane of active) {
    lane.busy = true;
    lane.worker.postMessage({ type: 'step' });
  }
  // Show the steps in flight ('…'): a pause clicked now still lets them finish, and the page (and
  // its tests) must not read the lanes as idle until they have.
  render();
  return true;
}

function pump(): void {
  const active = live();
  if (!running) return;
  if (active.length === 0 || active.every((l) => !l.busy && lastStep(l) >= settings.stopStep)) {
    setRunning(false);
    return;
  }
  if (active.every((l) => lastStep(l) < settings.stopStep)) advance();
}

function setRunning(on: boolean): void {
  running = on;
  document.body.dataset.running = String(on);
  ($('run') as HTMLButtonElement).disabled = on;
  ($('pause') as HTMLButtonElement).disabled = !on;
  ($('step') as HTMLButtonElement).disabled = on;
}

const fmt = (v: number, digits = 6) => (Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : String(v));

function renderLane(lane: Lane): void {
  const p = lane.name;
  const last = lane.records[lane.records.length - 1];
  const stepCell = $(`${p}-step`);
  stepCell.dataset.step = last ? String(last.step) : '';
  $(`${p}-engine`).textContent = lane.engine;
  const resolution = $(`${p}-resolution`);
  resolution.textContent = lane.resolution;
  resolution.className = lane.underResolved ? 'bad' : '';
  if (lane.error) {
    stepCell.textContent = last ? `${last.step}, t = ${fmt(last.t)} (stopped)` : 'failed';
  } else {
    stepCell.textContent = last ? `${last.step}, t = ${fmt(last.t)}${lane.busy ? ' …' : ''}` : lane.name === 'sdmm' ? 'fitting u₀ …' : 'starting …';
  }
  $(`${p}-energy`).textContent = last ? fmt(last.energy, 10) : '';
  const later = lane.records.slice(1);
  const mean = later.reduce((s, r) => s + r.wallMs, 0) / Math.max(1, later.length);
  $(`${p}-ms`).textContent = last
    ? last.step === 0
      ? `set-up ${fmt(last.wallMs, 4)} ms`
      : `${fmt(last.wallMs, 4)}, ${fmt(mean, 4)} (set-up ${fmt(lane.records[0].wallMs, 4)})`
    : '';
  $(`${p}-iters`).textContent = last ? `${last.iterations}${last.linearIterations ? ` (linear ${last.linearIterations})` : ''}` : '';
  const reason = $(`${p}-reason`);
  reason.textContent = lane.error ?? last?.stopReason ?? '';
  reason.className = lane.error ? 'bad' : '';
  const verdictCell = $(`${p}-verdict`);
  if (lane.records.length > 1) {
    const verdict = checkStability(lane.records);
    verdictCell.textContent = `${verdict.ok ? 'stable' : 'NOT stable'}: ${verdict.message}`;
    verdictCell.className = verdict.ok ? 'ok' : 'bad';
    verdictCell.dataset.ok = String(verdict.ok);
  } else {
    verdictCell.textContent = lane.error ? 'no steps taken' : 'after the first step';
    verdictCell.className = '';
    delete verdictCell.dataset.ok;
  }
}

function renderFields(): void {
  const [fem, sdmm] = lanes;
  const latest = (lane: Lane) => lane.fields.get(lastStep(lane));
  const canvases = { fem: $('field-fem') as HTMLCanvasElement, sdmm: $('field-sdmm') as HTMLCanvasElement };
  for (const lane of lanes) {
    const field = latest(lane);
    if (field) drawField(canvases[lane.name], field, GRID, -1, 1);
    else {
      const c = canvases[lane.name];
      c.getContext('2d')!.clearRect(0, 0, c.width, c.height);
    }
  }
  // The difference at the newest step both have; older fields are dropped.
  const common = Math.min(lastStep(fem), lastStep(sdmm));
  const a = sdmm.fields.get(common);
  const b = fem.fields.get(common);
  if (common >= 0 && a && b) {
    const d = difference(a, b, diffValues);
    drawField($('field-diff') as HTMLCanvasElement, diffValues, GRID, -d, d);
    $('diff-max').textContent = `+${d.toExponential(0)}`;
    $('diff-min').textContent = `−${d.toExponential(0)}`;
    $('diff-step').textContent = `(step ${common})`;
  }
  for (const lane of lanes) {
    const keep = Math.min(common, lastStep(lane));
    for (const step of lane.fields.keys()) if (step < keep) lane.fields.delete(step);
  }
}

function render(): void {
  for (const lane of lanes) renderLane(lane);
  renderFields();
  drawEnergyPlot($('plot') as HTMLCanvasElement, [
    { label: 'FEM', color: '#1f5fa8', t: lanes[0].records.map((r) => r.t), energy: lanes[0].records.map((r) => r.energy) },
    { label: 'SDMM', color: '#d9661f', t: lanes[1].records.map((r) => r.t), energy: lanes[1].records.map((r) => r.energy) },
  ]);
}

/** steps.csv exactly as the command-line runner writes it (src/io/csv.ts), `stable` per step from src/stability. */
function downloadCsv(lane: Lane): void {
  const rows = lane.records.map((r, i) => ({ ...r, stable: i === 0 || satisfiesEnergyInequality(lane.records[i - 1], r) }));
  const blob = new Blob([formatStepsCsv(rows)], { type: 'text/csv' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${lane.name}-${settings.problem}-steps.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function applySettings(): void {
  try {
    const next = readForm();
    showMessage('');
    $('draw-panel').hidden = next.problem !== 'drawn';
    const onlyStop = JSON.stringify({ ...settings, stopStep: 0, drawn: null }) === JSON.stringify({ ...next, stopStep: 0, drawn: null }) && next.problem !== 'drawn';
    settings = next;
    if (onlyStop) pump();
    else restart();
  } catch (e) {
    showMessage(e instanceof SettingsError ? e.message : String(e));
  }
}

// ---- drawing u₀ ----

function drawMask(): void {
  const canvas = $('draw') as HTMLCanvasElement;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(DRAW_LATTICE, DRAW_LATTICE);
  for (let j = 0; j < DRAW_LATTICE; j++) {
    for (let i = 0; i < DRAW_LATTICE; i++) {
      const o = 4 * ((DRAW_LATTICE - 1 - j) * DRAW_LATTICE + i);
      const plus = mask[j * DRAW_LATTICE + i] > 0;
      image.data[o] = plus ? 178 : 33;
      image.data[o + 1] = plus ? 24 : 102;
      image.data[o + 2] = plus ? 43 : 172;
      image.data[o + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}

/** Paint a disc of the chosen phase (radius in lattice cells) around the pointer position (client pixels). */
function paint(canvas: HTMLCanvasElement, clientX: number, clientY: number): void {
  const rect = canvas.getBoundingClientRect();
  const ci = ((clientX - rect.left) / rect.width) * DRAW_LATTICE;
  const cj = DRAW_LATTICE - ((clientY - rect.top) / rect.height) * DRAW_LATTICE;
  const radius = Number(($('brush-radius') as HTMLInputElement).value) || 12;
  const phase = Number((document.querySelector('input[name=brush]:checked') as HTMLInputElement).value);
  for (let j = Math.max(0, Math.floor(cj - radius)); j < Math.min(DRAW_LATTICE, Math.ceil(cj + radius)); j++) {
    for (let i = Math.max(0, Math.floor(ci - radius)); i < Math.min(DRAW_LATTICE, Math.ceil(ci + radius)); i++) {
      if ((i + 0.5 - ci) ** 2 + (j + 0.5 - cj) ** 2 <= radius * radius) mask[j * DRAW_LATTICE + i] = phase;
    }
  }
}

function setUpDrawing(): void {
  const canvas = $('draw') as HTMLCanvasElement;
  let drawing = false;
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    paint(canvas, e.clientX, e.clientY);
    drawMask();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    paint(canvas, e.clientX, e.clientY);
    drawMask();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    applySettings();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  $('clear').addEventListener('click', () => {
    mask.fill(-1);
    drawMask();
    applySettings();
  });
  drawMask();
}

// ---- start ----

function main(): void {
  try {
    settings = settingsFromQuery(location.search);
  } catch (e) {
    settings = { ...DEFAULT_SETTINGS };
    showMessage(`${e instanceof Error ? e.message : String(e)}; using the defaults`);
  }
  if (settings.drawn) mask.set(settings.drawn);
  writeForm(settings);
  $('draw-panel').hidden = settings.problem !== 'drawn';
  drawColorBar($('bar-u') as HTMLCanvasElement);
  drawColorBar($('bar-diff') as HTMLCanvasElement);
  setUpDrawing();
  $('settings').addEventListener('change', (e) => {
    if ((e.target as HTMLElement).id === 'problem') {
      // A catalogue problem brings its own ε, τ, mesh and number of steps (the form shows them).
      writeForm({ ...readFormRaw(), ...problemDefaults(($('problem') as HTMLSelectElement).value as WebSettings['problem']) });
    }
    applySettings();
  });
  $('settings').addEventListener('submit', (e) => e.preventDefault());
  $('run').addEventListener('click', () => {
    setRunning(true);
    pump();
  });
  $('pause').addEventListener('click', () => setRunning(false));
  $('step').addEventListener('click', () => {
    if (!running) advance();
  });
  $('reset').addEventListener('click', () => {
    setRunning(false);
    restart();
  });
  $('fem-csv').addEventListener('click', () => downloadCsv(lanes[0]));
  $('sdmm-csv').addEventListener('click', () => downloadCsv(lanes[1]));
  setRunning(new URLSearchParams(location.search).get('run') === '1');
  restart();
  pump();
}

main();
