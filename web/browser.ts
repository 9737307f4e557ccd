import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * A system Chromium for the browser tests and the screenshot script, driven by playwright-core
 * (which downloads nothing). Found through CHROMIUM_PATH, else the usual Debian/Ubuntu paths;
 * .ci/run installs Debian's chromium-headless-shell when none is present.
 */
export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium-headless-shell',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/lib/chromium/chromium-headless-shell',
];

/** The Chromium executable to use; throws a one-line error naming what was tried. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = CHROMIUM_CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`no Chromium found (tried ${CHROMIUM_CANDIDATES.join(', ')}): set CHROMIUM_PATH or run apt-get install chromium-headless-shell`);
  }
  return found;
}

/**
 * Launch headless Chromium (Playwright gives every launch a fresh temporary profile). The flags keep it from reaching for the
 * network on its own (component updates, sync, field trials), which stalls on closed networks,
 * and --no-sandbox is needed when running as root (CI containers).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
