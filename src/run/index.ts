export { runSolver, runWarnings, readRunSteps, RunError, RunFolderError, DIVERGENCE_MAX_ABS_U, type RunOptions } from './run.js';
export { RunLayout, runLayout, RUN_FILES } from './layout.js';
export { runTotals, runVerdict, type RunStatus, type RunSummary, type RunTotals } from './summary.js';
export { environmentInfo, gitInfo, installedVersion, machine, packageVersion, runVersions, type EnvironmentInfo, type Machine } from './provenance.js';
