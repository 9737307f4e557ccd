import cliProgress from 'cli-progress';
import type { RunOptions } from '../run/run.js';

/**
 * A terminal progress bar for one run (steps, t, E, ETA), as the run layer's onStart / onStep /
 * onEnd callbacks. Only on a TTY: returns {} otherwise.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stdout): Pick<RunOptions, 'onStart' | 'onStep' | 'onEnd'> {
  if (!stream.isTTY) return {};
  let bar: cliProgress.SingleBar | undefined;
  return {
    onStart({ plannedSteps, last }) {
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
      bar?.stop();
      bar = undefined;
    },
  };
}
