import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readGmsh, writeGmsh } from '../src/io/gmsh.js';
import { intervalMesh, MeshFormatError, nodeCount, rectangleMesh, type Mesh } from '../src/mesh/index.js';

/**
 * Property-based tests of the Gmsh reader (issue 10, item 8): hundreds of generated and mutated
 * files per run. Every input must end in a Mesh that satisfies the Mesh invariants, or in a
 * MeshFormatError whose message is ONE line starting with the file name (and the line number when
 * there is one) — never a hang, a TypeError/RangeError from deep inside, a non-Error throw, or a
 * native abort. Seeds are fixed, so a failure is reproducible from the printed counterexample.
 */

const FILE = 'gen.msh';
const MESHES = join(import.meta.dirname, '..', 'meshes');

/** Valid source files: generated meshes in both versions, and files written by Gmsh itself. */
const sources: string[] = [];
for (const version of ['2.2', '4.1'] as const) {
  sources.push(writeGmsh(intervalMesh(-1, 1, 3), version));
  sources.push(writeGmsh(rectangleMesh({ nx: 2, ny: 2, cellType: 'triangle' }), version));
  sources.push(writeGmsh(rectangleMesh({ nx: 2, ny: 1, cellType: 'quadrilateral' }), version));
}
sources.push(readFileSync(join(MESHES, 'disk-h16-v22.msh'), 'utf8'));
sources.push(readFileSync(join(MESHES, 'square-quad-h16.msh'), 'utf8'));

let lastOutcome: 'mesh' | 'error' = 'mesh';

/**
 * What an outcome must look like; returns a description of what is wrong, or undefined (and
 * sets lastOutcome to what happened).
 */
function checkOutcome(text: string): string | undefined {
  const t0 = performance.now();
  let mesh: Mesh | undefined;
  let thrown: unknown;
  let threw = false;
  try {
    mesh = readGmsh(text, FILE);
  } catch (e) {
    thrown = e;
    threw = true;
  }
  const ms = performance.now() - t0;
  if (ms > 2000) return `took ${ms.toFixed(0)} ms`;
  lastOutcome = threw ? 'error' : 'mesh';
  if (threw) {
    if (!(thrown instanceof Error)) return `threw a non-Error: ${String(thrown)}`;
    if (!(thrown instanceof MeshFormatError)) return `threw ${thrown.name}: ${thrown.message}`;
    const msg = thrown.message;
    if (msg.includes('\n')) return `message has several lines: ${JSON.stringify(msg)}`;
    if (!/^gen\.msh(:\d+)?: \S/.test(msg)) return `message does not start with 'gen.msh[:line]: ': ${JSON.stringify(msg)}`;
    if (msg.length > 400) return `message of ${msg.length} characters`;
    return undefined;
  }
  // A result: the Mesh invariants.
  const m = mesh!;
  const N = nodeCount(m);
  const k = m.cellType === 'interval' ? 2 : m.cellType === 'triangle' ? 3 : 4;
  if (m.dim !== 1 && m.dim !== 2) return `dim ${m.dim}`;
  if (!Number.isInteger(N) || N < 1) return `node count ${N}`;
  for (const x of m.nodes) if (!Number.isFinite(x)) return `non-finite coordinate ${x}`;
  if (m.cells.length % k !== 0 || m.cells.length === 0) return `cells length ${m.cells.length} for ${m.cellType}`;
  for (const c of m.cells) if (c >= N) return `cell references node ${c} of ${N}`;
  for (const f of m.facets) if (f >= N) return `facet references node ${f} of ${N}`;
  if (m.cellTags.length * k !== m.cells.length) return 'cellTags length';
  if (m.facetTags.length * m.dim !== m.facets.length) return 'facetTags length';
  return undefined;
}

const NASTY_TOKENS = [
  '1e308', '-1e308', '1e309', '-1', '-2', '-2147483649', '2147483648', '4294967296', '9007199254740993', '1e15', '1e300',
  'NaN', 'nan', 'Infinity', '-Infinity', '', '0', '-0', '1.5', '0x1F', '1e-320', '00', '+3', '1_000', '٣',
];
const NASTY_CHARS = ['0', '9', '-', '.', 'e', ' ', '\t', '\n', '\r', '$', '"', 'x', '\0', 'é', '\u2028', '\uFEFF'];
const NASTY_LINES = ['$Nodes', '$EndNodes', '$Elements', '$EndElements', '$Entities', '$Comments', '$EndComments', '$End', '', '1 2 3', '1 2 3 4 5 6 7 8', '$PhysicalNames', '2 1 "x'];

type Mutation =
  | { op: 'truncate'; at: number }
  | { op: 'char'; at: number; c: string }
  | { op: 'deleteLine'; at: number }
  | { op: 'duplicateLine'; at: number }
  | { op: 'swapLines'; a: number; b: number }
  | { op: 'token'; at: number; tok: number; value: string }
  | { op: 'insertLine'; at: number; line: string };

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fraction }),
  fc.record({ op: fc.constant('char' as const), at: fraction, c: fc.constantFrom(...NASTY_CHARS) }),
  fc.record({ op: fc.constant('deleteLine' as const), at: fraction }),
  fc.record({ op: fc.constant('duplicateLine' as const), at: fraction }),
  fc.record({ op: fc.constant('swapLines' as const), a: fraction, b: fraction }),
  fc.record({ op: fc.constant('token' as const), at: fraction, tok: fc.nat(8), value: fc.constantFrom(...NASTY_TOKENS) }),
  fc.record({ op: fc.constant('insertLine' as const), at: fraction, line: fc.oneof(fc.constantFrom(...NASTY_LINES), fc.string({ maxLength: 20 })) }),
);

function apply(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const li = (f: number) => Math.floor(f * lines.length);
  switch (m.op) {
    case 'truncate':
      return text.slice(0, Math.floor(m.at * text.length));
    case 'char': {
      const i = Math.floor(m.at * text.length);
      return text.slice(0, i) + m.c + text.slice(i + 1);
    }
    case 'deleteLine':
      lines.splice(li(m.at), 1);
      return lines.join('\n');
    case 'duplicateLine':
      lines.splice(li(m.at), 0, lines[li(m.at)]);
      return lines.join('\n');
    case 'swapLines': {
      const [a, b] = [li(m.a), li(m.b)];
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return lines.join('\n');
    }
    case 'token': {
      const i = li(m.at);
      const toks = lines[i].split(' ');
      toks[m.tok % toks.length] = m.value;
      lines[i] = toks.join(' ');
      return lines.join('\n');
    }
    case 'insertLine':
      lines.splice(li(m.at), 0, m.line);
      return lines.join('\n');
  }
}

describe('readGmsh on generated and mutated files (fast-check)', () => {
  it('reads every unmutated source file', () => {
    for (const s of sources) expect(checkOutcome(s)).toBeUndefined();
  });

  it('every mutated file ends in a valid Mesh or a one-line MeshFormatError naming the file (and line)', () => {
    let errors = 0;
    let results = 0;
    fc.assert(
      fc.property(fc.nat(sources.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (si, muts) => {
        const text = muts.reduce(apply, sources[si]);
        const problem = checkOutcome(text);
        if (problem) throw new Error(problem);
        if (lastOutcome === 'mesh') results++;
        else errors++;
      }),
      { numRuns: 1500, seed: 20261130 },
    );
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    expect(errors).toBeGreaterThan(300);
    expect(results).toBeGreaterThan(50);
  });

  it('huge and negative counts in section headers: a clear error, no allocation by the count, no hang', () => {
    const v22 = sources[1];
    const v41 = sources[4];
    const cases = [
      v22.replace(/\$Nodes\n\d+/, '$Nodes\n1000000000000000'),
      v22.replace(/\$Nodes\n\d+/, '$Nodes\n-5'),
      v22.replace(/\$Elements\n\d+/, '$Elements\n1e300'),
      v22.replace(/\$Elements\n\d+/, '$Elements\nNaN'),
      v41.replace(/\$Nodes\n\d+ \d+/, '$Nodes\n1 4294967296'),
      v41.replace(/\$Nodes\n(\d+) (\d+) (\d+) (\d+)\n(\d+) (\d+) (\d+) (\d+)/, '$Nodes\n$1 $2 $3 $4\n$5 $6 $7 1e15'),
      v41.replace(/\$Elements\n(\d+) \d+/, '$Elements\n$1 9007199254740993'),
      v41.replace(/\$Entities\n\d+/, '$Entities\n1e12'),
      '$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n99999999999\n' + '1 0 0 0\n'.repeat(1000),
    ];
    for (const text of cases) {
      expect(text === v22 || text === v41, 'the substitution changed the file').toBe(false);
      expect(checkOutcome(text), text.slice(0, 200)).toBeUndefined();
      expect(lastOutcome).toBe('error');
    }
  });

  it('random text and random binary bytes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const problem = checkOutcome(s);
        if (problem) throw new Error(problem);
      }),
      { numRuns: 200, seed: 7 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        const problem = checkOutcome('$MeshFormat\n4.1 0 8\n$EndMeshFormat\n' + Buffer.from(b).toString('latin1'));
        if (problem) throw new Error(problem);
      }),
      { numRuns: 200, seed: 8 },
    );
  });
});
