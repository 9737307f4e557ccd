import { type Mesh, cellCount, NODES_PER_CELL } from '../mesh/mesh.js';
import type { RuleND } from '../quadrature/tensor.js';
import type { ReferenceElement } from './elements/element.js';

/**
 * The map from the reference cell to every real cell, evaluated ONCE at the quadrature points
 * (scikit-fem's CellBasis): x(ξ) = Σ_a x_a φ_a(ξ), J = ∂x/∂ξ, physical gradients
 * ∇φ_a = J⁻ᵀ ∇_ξ φ_a, weights |det J|·w_q.
 *
 * Layouts (nQ = rule size, nLoc = nodes per cell, dim = space dimension):
 * - `phi[q·nLoc + a]`: φ_a at reference point q (the same for every cell).
 * - `phiPhi[q·nLoc² + a·nLoc + b]`: φ_a φ_b at point q (for weighted mass matrices).
 * - `detJw[c·nQ + q]`: |det J|·w_q of cell c, point q (the measure at the quadrature point).
 * - Gradient points: one per cell when the element is affine (P1: constant gradients), else one
 *   per quadrature point; p = c·gradPointsPerCell + (q when not affine).
 *   `gradWeights[p]`: the measure of gradient point p (cell area when affine, else detJw).
 *   `dphi[(p·nLoc + a)·dim + k]`: ∂φ_a/∂x_k at gradient point p.
 *   ∫_cell g(∇u_h) = Σ_p gradWeights[p] g(∇u_h(p)) is exact for constant gradients (affine) and
 *   is the full rule otherwise.
 */
export class CellBasis {
  readonly nCells: number;
  readonly nQ: number;
  readonly nLoc: number;
  readonly dim: 1 | 2;
  readonly phi: Float64Array;
  readonly phiPhi: Float64Array;
  readonly detJw: Float64Array;
  readonly gradPointsPerCell: number;
  readonly nGradPoints: number;
  readonly gradWeights: Float64Array;
  readonly dphi: Float64Array;
  /**
   * Affine elements only (else null): phiW[q·nLoc + a] = ŵ_q φ_a(q) with ŵ_q = w_q/Σw, so that
   * |det J| w_q φ_a(q) = |cell| · phiW[q·nLoc + a]: kernels read one measure per cell
   * (gradWeights) instead of one per quadrature point.
   */
  readonly phiW: Float64Array | null;

  constructor(
    readonly mesh: Mesh,
    readonly element: ReferenceElement,
    readonly rule: RuleND = element.defaultRule(),
  ) {
    if (element.cellType !== mesh.cellType) {
      throw new Error(`basis: element ${element.name} does not match mesh cells '${mesh.cellType}'`);
    }
    if (rule.dim !== element.refDim) throw new Error(`basis: rule of dimension ${rule.dim} for element ${element.name}`);
    const dim = mesh.dim;
    const nLoc = NODES_PER_CELL[mesh.cellType];
    const nCells = cellCount(mesh);
    const nQ = rule.weights.length;
    this.dim = dim;
    this.nLoc = nLoc;
    this.nCells = nCells;
    this.nQ = nQ;
    const rd = element.refDim;

    const phi = new Float64Array(nQ * nLoc);
    const refGrad = new Float64Array(nQ * nLoc * rd);
    const xi = new Float64Array(rd);
    const vals = new Float64Array(nLoc);
    const grads = new Float64Array(nLoc * rd);
    for (let q = 0; q < nQ; q++) {
      for (let k = 0; k < rd; k++) xi[k] = rule.points[q * rd + k];
      element.values(xi, vals);
      element.gradients(xi, grads);
      phi.set(vals, q * nLoc);
      refGrad.set(grads, q * nLoc * rd);
    }
    const phiPhi = new Float64Array(nQ * nLoc * nLoc);
    for (let q = 0; q < nQ; q++) {
      for (let a = 0; a < nLoc; a++) {
        for (let b = 0; b < nLoc; b++) phiPhi[(q * nLoc + a) * nLoc + b] = phi[q * nLoc + a] * phi[q * nLoc + b];
      }
    }
    this.phi = phi;
    this.phiPhi = phiPhi;
    if (element.affine) {
      let wsum = 0;
      for (let q = 0; q < nQ; q++) wsum += rule.weights[q];
      const phiW = new Float64Array(nQ * nLoc);
      for (let q = 0; q < nQ; q++) for (let a = 0; a < nLoc; a++) phiW[q * nLoc + a] = (rule.weights[q] / wsum) * phi[q * nLoc + a];
      this.phiW = phiW;
    } else this.phiW = null;

    const gppc = element.affine ? 1 : nQ;
    this.gradPointsPerCell = gppc;
    this.nGradPoints = nCells * gppc;
    const detJw = new Float64Array(nCells * nQ);
    const gradWeights = element.affine ? new Float64Array(nCells) : detJw;
    const dphi = new Float64Array(this.nGradPoints * nLoc * dim);
    const nodes = mesh.nodes;
    const cells = mesh.cells;

    for (let c = 0; c < nCells; c++) {
      const base = c * nLoc;
      let area = 0;
      for (let q = 0; q < nQ; q++) {
        const g = q * nLoc * rd;
        let det: number;
        if (dim === 1) {
          let j = 0;
          for (let a = 0; a < nLoc; a++) j += nodes[cells[base + a]] * refGrad[g + a];
          det = j;
          if (!(det > 0)) throw new Error(`basis: cell ${c} is inverted or degenerate (det J = ${det})`);
          if (q < gppc) {
            const p = c * gppc + q;
            for (let a = 0; a < nLoc; a++) dphi[p * nLoc + a] = refGrad[g + a] / det;
          }
        } else {
          // J = [[∂x/∂ξ, ∂x/∂η], [∂y/∂ξ, ∂y/∂η]]
          let j00 = 0, j01 = 0, j10 = 0, j11 = 0;
          for (let a = 0; a < nLoc; a++) {
            const n = cells[base + a];
            const x = nodes[2 * n];
            const y = nodes[2 * n + 1];
            const gx = refGrad[g + 2 * a];
            const gy = refGrad[g + 2 * a + 1];
            j00 += x * gx;
            j01 += x * gy;
            j10 += y * gx;
            j11 += y * gy;
          }
          det = j00 * j11 - j01 * j10;
          if (!(det > 0)) throw new Error(`basis: cell ${c} is inverted or degenerate (det J = ${det})`);
          if (q < gppc) {
            // ∇φ = J⁻ᵀ ∇_ξ φ, J⁻ᵀ = (1/det) [[j11, −j10], [−j01, j00]]
            const p = c * gppc + q;
            for (let a = 0; a < nLoc; a++) {
              const gx = refGrad[g + 2 * a];
              const gy = refGrad[g + 2 * a + 1];
              dphi[(p * nLoc + a) * 2] = (j11 * gx - j10 * gy) / det;
              dphi[(p * nLoc + a) * 2 + 1] = (-j01 * gx + j00 * gy) / det;
            }
          }
        }
        const w = det * rule.weights[q];
        detJw[c * nQ + q] = w;
        area += w;
      }
      if (element.affine) gradWeights[c] = area;
    }
    this.detJw = detJw;
    this.gradWeights = gradWeights;
    this.dphi = dphi;
  }

  /** Physical coordinates of the quadrature points: out[(c·nQ + q)·dim + k]. */
  quadraturePoints(out = new Float64Array(this.nCells * this.nQ * this.dim)): Float64Array {
    const { nCells, nQ, nLoc, dim, phi } = this;
    const { nodes, cells } = this.mesh;
    for (let c = 0; c < nCells; c++) {
      for (let q = 0; q < nQ; q++) {
        for (let k = 0; k < dim; k++) {
          let s = 0;
          for (let a = 0; a < nLoc; a++) s += phi[q * nLoc + a] * nodes[cells[c * nLoc + a] * dim + k];
          out[(c * nQ + q) * dim + k] = s;
        }
      }
    }
    return out;
  }
}
