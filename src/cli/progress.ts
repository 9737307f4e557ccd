import cliProgress from 'cli-progress';
import type { RunOptions } from '../run/run.js';

/**
 * A terminal progress display for one run, as the run layer's callbacks: a line that updates
 * during the solver's set-up (onProgress: e.g. the SDMM initial fit's phase and iterations), then
 * a bar over the steps (t, E, ETA). On stderr, so stdout carries only results; only on a TTY:
 * returns {} otherwise (logs and pipes get the one-line summaries instead).
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Pick<RunOptions, 'onStart' | 'onStep' | 'onEnd' | 'onProgress'> {
  if (!stream.isTTY) return {};
  let bar: cliProgress.SingleBar | undefined;
  let setupLine = false;
  return {
    onProgress({ phase, iterations, maxIterations }) {
      setupLine = true;
      stream.write(`\r\x1b[2K${label} | ${phase}: ${iterations}/${maxIterations} iterations`);
    },
    onStart({ plannedSteps, last }) {
      if (setupLine) stream.write('\r\x1b[2K');
      setupLine = false;
      bar = new cliProgress.SingleBar(
        { format: `${label} |{bar}| {value}/{total} steps | t = {time} | E = {energy} | ETA {eta_formatted}`, stream, etaBuffer: 50, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(plannedSteps, last.step, { time: last.t.toPrecision(4), energy: last.energy.toPrecision(6) });
    },
    onStep(rec) {
      bar?.update(rec.step, { time: rec.t.toPrecision(4), energy: rec.energy.toPrecision(6) });
    },
    onEnd() {
      if (setupLine) stream.write('\r\x1b[2K');
      setupLine = false;
      bar?.stop();
      bar = undefined;
    },
  };
}
