import { type CsrPattern, entryIndex, patternFromCells } from '../linalg/csr.js';
import { type Mesh, NODES_PER_CELL, boundingBox, cellCount, nodeCount } from '../mesh/mesh.js';
import { sideAxis, sidesOf, type BoundaryCondition, type Side } from '../physics/problems.js';
import type { RuleND } from '../quadrature/tensor.js';
import { CellBasis } from './basis.js';
import type { ReferenceElement } from './elements/element.js';
import { elementFor } from './elements/index.js';

/** Thrown for a mesh/boundary combination the space cannot represent; `message` is one line. */
export class FemSetupError extends Error {
  override name = 'FemSetupError';
}

/** The box and the boundary condition per side (a ProblemConfig satisfies this). */
export interface SpaceBoundary {
  readonly domain: { readonly min: readonly number[]; readonly max: readonly number[] };
  readonly boundary: Readonly<Partial<Record<Side, BoundaryCondition>>>;
}


/**
 * A P1/Q1 function space on a mesh: the dof map and the sparsity pattern, built once.
 *
 * - `dofOfNode[node]`: the dof of each mesh node. Periodic sides identify matching nodes on
 *   opposite sides (pairs found by coordinates, tolerance 1e-8 × the box size; a node without a
 *   partner is a FemSetupError naming it). Dofs are numbered by first appearance.
 * - `nodeOfDof[dof]`: one representative node (the one with the smallest index).
 * - `cellDofs[c·nLoc + a]`: dof of local node a of cell c.
 * - Dirichlet sides: `isDirichlet[dof]` = 1 and `dirichletValue[dof]` the prescribed value for
 *   every dof with a node on a Dirichlet side (by coordinates against the box).
 * - `pattern`: CSR pattern of all matrices on the space (patternFromCells).
 * - `scatter[(c·nLoc + a)·nLoc + b]`: index in `values` of entry (cellDofs[a], cellDofs[b]) of
 *   cell c: assembly adds local matrices without any search.
 * - `dirichletOffDiagonal`: value indices of the off-diagonal entries in Dirichlet rows or
 *   columns (zeroed to impose u = g by elimination, keeping the matrix symmetric).
 */
export class FunctionSpace {
  readonly element: ReferenceElement;
  readonly basis: CellBasis;
  readonly nLoc: number;
  readonly nCells: number;
  readonly nDofs: number;
  readonly dofOfNode: Int32Array;
  readonly nodeOfDof: Int32Array;
  readonly cellDofs: Int32Array;
  readonly isDirichlet: Uint8Array;
  readonly dirichletValue: Float64Array;
  readonly dirichletDofs: Int32Array;
  readonly pattern: CsrPattern;
  readonly scatter: Int32Array;
  readonly dirichletOffDiagonal: Int32Array;

  constructor(
    readonly mesh: Mesh,
    readonly boundary: SpaceBoundary = { domain: boundingBox(mesh), boundary: {} },
    rule?: RuleND,
  ) {
    this.element = elementFor(mesh.cellType);
    this.basis = new CellBasis(mesh, this.element, rule ?? this.element.defaultRule());
    const nLoc = NODES_PER_CELL[mesh.cellType];
    this.nLoc = nLoc;
    this.nCells = cellCount(mesh);
    const nNodes = nodeCount(mesh);
    const dim = mesh.dim;
    const { domain } = boundary;
    if (domain.min.length < dim || domain.max.length < dim) {
      throw new FemSetupError(`domain has ${domain.min.length} axes, the mesh ${dim}`);
    }
    let size = 0;
    for (let k = 0; k < dim; k++) size = Math.max(size, domain.max[k] - domain.min[k]);
    const tol = 1e-8 * size;
    const onSide = (node: number, side: Side): boolean => {
      const { axis, end } = sideAxis(side);
      if (axis >= dim) return false;
      const v = mesh.nodes[node * dim + axis];
      return Math.abs(v - (end === 'min' ? domain.min[axis] : domain.max[axis])) <= tol;
    };

    // Union–find over nodes for periodic identification.
    const parent = new Int32Array(nNodes);
    for (let i = 0; i < nNodes; i++) parent[i] = i;
    const find = (i: number): number => {
      while (parent[i] !== i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
      }
      return i;
    };
    const union = (a: number, b: number) => {
      const ra = find(a);
      const rb = find(b);
      if (ra < rb) parent[rb] = ra;
      else if (rb < ra) parent[ra] = rb;
    };
    for (let axis = 0; axis < dim; axis++) {
      const [lo, hi] = sidesOf(dim).slice(2 * axis, 2 * axis + 2);
      const kLo = boundary.boundary[lo]?.kind;
      const kHi = boundary.boundary[hi]?.kind;
      if ((kLo === 'periodic') !== (kHi === 'periodic')) {
        throw new FemSetupError(`periodic boundary on ${kLo === 'periodic' ? lo : hi} needs ${kLo === 'periodic' ? hi : lo} periodic too`);
      }
      if (kLo !== 'periodic') continue;
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < nNodes; i++) {
        if (onSide(i, lo)) a.push(i);
        if (onSide(i, hi)) b.push(i);
      }
      if (a.length === 0 || b.length === 0) {
        const empty = a.length === 0 ? lo : hi;
        throw new FemSetupError(`periodic side ${empty} has no mesh nodes on ${sideEquation(empty, domain)}`);
      }
      const other = 1 - axis;
      const key = (i: number) => (dim === 1 ? 0 : mesh.nodes[i * dim + other]);
      a.sort((p, q) => key(p) - key(q));
      b.sort((p, q) => key(p) - key(q));
      const fmt = (i: number) => `node ${i} at (${Array.from(mesh.nodes.subarray(i * dim, i * dim + dim)).join(', ')})`;
      let i = 0;
      let j = 0;
      while (i < a.length || j < b.length) {
        if (i < a.length && j < b.length && Math.abs(key(a[i]) - key(b[j])) <= tol) {
          union(a[i++], b[j++]);
        } else if (j >= b.length || (i < a.length && key(a[i]) < key(b[j]))) {
          throw new FemSetupError(`periodic sides ${lo}/${hi} do not match: ${fmt(a[i])} on ${lo} has no partner on ${hi}`);
        } else {
          throw new FemSetupError(`periodic sides ${lo}/${hi} do not match: ${fmt(b[j])} on ${hi} has no partner on ${lo}`);
        }
      }
    }

    const dofOfNode = new Int32Array(nNodes).fill(-1);
    const rootDof = new Int32Array(nNodes).fill(-1);
    let nDofs = 0;
    for (let i = 0; i < nNodes; i++) {
      const r = find(i);
      if (rootDof[r] < 0) rootDof[r] = nDofs++;
      dofOfNode[i] = rootDof[r];
    }
    this.nDofs = nDofs;
    this.dofOfNode = dofOfNode;
    const nodeOfDof = new Int32Array(nDofs).fill(-1);
    for (let i = 0; i < nNodes; i++) if (nodeOfDof[dofOfNode[i]] < 0) nodeOfDof[dofOfNode[i]] = i;
    this.nodeOfDof = nodeOfDof;

    const cellDofs = new Int32Array(mesh.cells.length);
    for (let k = 0; k < cellDofs.length; k++) cellDofs[k] = dofOfNode[mesh.cells[k]];
    this.cellDofs = cellDofs;

    // Dirichlet dofs.
    const isDirichlet = new Uint8Array(nDofs);
    const dirichletValue = new Float64Array(nDofs);
    const sides = (Object.keys(boundary.boundary) as Side[]).filter((s) => boundary.boundary[s]?.kind === 'dirichlet');
    if (sides.length > 0) {
      for (const side of sides) {
        let found = false;
        for (let i = 0; i < nNodes && !found; i++) found = onSide(i, side);
        if (!found) throw new FemSetupError(`dirichlet side ${side} has no mesh nodes on ${sideEquation(side, domain)}`);
      }
      for (let i = 0; i < nNodes; i++) {
        for (const s of sides) {
          if (onSide(i, s)) {
            const d = dofOfNode[i];
            if (!isDirichlet[d]) {
              isDirichlet[d] = 1;
              dirichletValue[d] = (boundary.boundary[s] as { value: number }).value;
            }
            break;
          }
        }
      }
    }
    this.isDirichlet = isDirichlet;
    this.dirichletValue = dirichletValue;
    const dd: number[] = [];
    for (let d = 0; d < nDofs; d++) if (isDirichlet[d]) dd.push(d);
    this.dirichletDofs = Int32Array.from(dd);

    this.pattern = patternFromCells(nDofs, cellDofs, nLoc);
    const scatter = new Int32Array(cellDofs.length * nLoc);
    for (let c = 0; c < this.nCells; c++) {
      for (let a = 0; a < nLoc; a++) {
        const row = cellDofs[c * nLoc + a];
        for (let b = 0; b < nLoc; b++) scatter[(c * nLoc + a) * nLoc + b] = entryIndex(this.pattern, row, cellDofs[c * nLoc + b]);
      }
    }
    this.scatter = scatter;

    const off: number[] = [];
    if (dd.length > 0) {
      const { rowPtr, colIdx } = this.pattern;
      for (let r = 0; r < nDofs; r++) {
        for (let k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
          const c = colIdx[k];
          if (c !== r && (isDirichlet[r] || isDirichlet[c])) off.push(k);
        }
      }
    }
    this.dirichletOffDiagonal = Int32Array.from(off);
  }

  /** Coordinates of each dof's representative node: out[dim·dof + k]. */
  dofCoordinates(): Float64Array {
    const dim = this.mesh.dim;
    const out = new Float64Array(this.nDofs * dim);
    for (let d = 0; d < this.nDofs; d++) for (let k = 0; k < dim; k++) out[d * dim + k] = this.mesh.nodes[this.nodeOfDof[d] * dim + k];
    return out;
  }

  /** A basis on the same mesh with another quadrature rule (e.g. for error norms). */
  basisWithRule(rule: RuleND): CellBasis {
    return new CellBasis(this.mesh, this.element, rule);
  }
}

/** 'x = 0' for side xmin of a box with min x 0, etc. */
function sideEquation(side: Side, domain: SpaceBoundary['domain']): string {
  const { axis, end } = sideAxis(side);
  return `${'xyz'[axis]} = ${end === 'min' ? domain.min[axis] : domain.max[axis]}`;
}
