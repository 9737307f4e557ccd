import { join } from 'node:path';

/**
 * Every path inside one run directory, in one place: the run layer writes them, the suite adds
 * its snapshots and bench.json, the report reads them. Names relative to the directory are in
 * RUN_FILES (summary.json lists them); RunLayout joins them to a directory.
 *
 *   steps.csv                  one row per step 0..N (appended as each step is produced)
 *   final.csv                  x, (y,) u at the mesh nodes or on a k×k uniform grid
 *   summary.json               configuration, totals, stability verdict, provenance, status
 *   u.pvd, vtk/u_<step>.vtu    VTU snapshots (ParaView)
 *   checkpoint/step-<step>.ckpt  solver state for resume
 *   snapshots/u-step<step>.csv u on the suite's common grid at its output steps (suite runs)
 *   bench.json, run-key.json   the suite's metrics of the run, and what its files are a function of
 *   .allen-cahn-run.json       the run-folder marker: which run the folder holds and the files it owns
 *   .allen-cahn.lock           the lock held by the process running it
 *   .allen-cahn-reserve        64 KiB of space set aside while a run is active, released on a
 *                              failed write so that summary.json can still say why (full disk)
 */
export const RUN_FILES = {
  steps: 'steps.csv',
  summary: 'summary.json',
  final: 'final.csv',
  pvd: 'u.pvd',
  vtk: 'vtk',
  checkpoints: 'checkpoint',
  snapshots: 'snapshots',
  bench: 'bench.json',
  runKey: 'run-key.json',
  reserve: '.allen-cahn-reserve',
} as const;

const pad = (step: number, width: number) => String(step).padStart(width, '0');

/**
 * Every path of a run folder (summary.json, steps.csv, checkpoints, snapshots, VTU files), so the
 * runner, the suite and the report never build a run's file names themselves.
 */
export class RunLayout {
  constructor(readonly dir: string) {}

  get steps(): string {
    return join(this.dir, RUN_FILES.steps);
  }
  get summary(): string {
    return join(this.dir, RUN_FILES.summary);
  }
  get final(): string {
    return join(this.dir, RUN_FILES.final);
  }
  get pvd(): string {
    return join(this.dir, RUN_FILES.pvd);
  }
  get vtkDir(): string {
    return join(this.dir, RUN_FILES.vtk);
  }
  get checkpointDir(): string {
    return join(this.dir, RUN_FILES.checkpoints);
  }
  get snapshotsDir(): string {
    return join(this.dir, RUN_FILES.snapshots);
  }
  get bench(): string {
    return join(this.dir, RUN_FILES.bench);
  }
  get runKey(): string {
    return join(this.dir, RUN_FILES.runKey);
  }
  get reserve(): string {
    return join(this.dir, RUN_FILES.reserve);
  }
  /** The VTU file of a step relative to the run directory (as the PVD lists it): vtk/u_000025.vtu. */
  vtkFile(step: number): string {
    return `${RUN_FILES.vtk}/u_${pad(step, 6)}.vtu`;
  }
  /** The suite's grid snapshot of u at a step: snapshots/u-step000040.csv. */
  snapshot(step: number): string {
    return join(this.snapshotsDir, `u-step${pad(step, 6)}.csv`);
  }
}

export function runLayout(dir: string): RunLayout {
  return new RunLayout(dir);
}
