// Browser stand-in for the Node built-ins (node:fs, node:path, node:crypto, node:os) and pngjs
// that src/io/csv.ts and src/io/png.ts import at the top but the page never calls: the page
// uses only their pure functions (formatStepsCsv, the colour map). Any call fails loudly.
// CommonJS on purpose: esbuild then resolves named imports at run time, so one proxy serves
// every module and every name.
'use strict';
module.exports = new Proxy(
  {},
  {
    get(_target, name) {
      if (name === '__esModule' || typeof name === 'symbol') return undefined;
      return function nodeOnly() {
        throw new Error(`${String(name)}() is Node-only and not available in the browser page`);
      };
    },
  },
);
