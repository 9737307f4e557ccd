import { join } from 'node:path';
import { ensureDirectory } from '../io/atomic.js';
import { readFieldCsv } from '../io/csv.js';
import { gridToVtu, writePvd, writeVtu } from '../io/vtk.js';
import { uniformGrid } from '../solver.js';
import type { ReferenceData, RunTask } from './measure.js';

/**
 * The comparison fields of a suite run for ParaView: at every output step one VTU on the suite's
 * k×k grid with three point fields, `solver` (the run's u), `reference` (the FEM reference's u at
 * the same time) and `difference` = solver − reference, in `<run>/compare/u_<step>.vtu`, and
 * `<run>/compare.pvd` as their time series. Steps where either field is missing (a failed run)
 * are left out. Returns the files written, relative to the run directory.
 */
export function writeComparisonVtus(task: RunTask, ref: ReferenceData, k: number): string[] {
  const problem = task.runProblem;
  const grid = uniformGrid(problem, k);
  const dir = join(task.layout.dir, 'compare');
  const entries: { time: number; file: string }[] = [];
  task.outputSteps.forEach((step, i) => {
    const u = readFieldCsv(task.layout.snapshot(step));
    const r = ref.fields[i];
    if (!u || !r || u.length !== r.length) return;
    const difference = new Float64Array(u.length);
    for (let q = 0; q < u.length; q++) difference[q] = u[q] - r[q];
    ensureDirectory(dir);
    const file = `compare/u_${String(step).padStart(6, '0')}.vtu`;
    writeVtu(join(task.layout.dir, file), gridToVtu(problem.dim, grid, k, { solver: u, reference: r, difference }));
    entries.push({ time: step * problem.tau, file });
  });
  if (entries.length > 0) writePvd(join(task.layout.dir, 'compare.pvd'), entries);
  return entries.map((e) => e.file);
}
