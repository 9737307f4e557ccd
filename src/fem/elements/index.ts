import type { CellType } from '../../mesh/mesh.js';
import type { ReferenceElement } from './element.js';
import { P1Interval } from './p1-interval.js';
import { P1Triangle } from './p1-triangle.js';
import { Q1Quadrilateral } from './q1-quadrilateral.js';

export type { ReferenceElement } from './element.js';
export { P1Interval, P1Triangle, Q1Quadrilateral };

/** The element used on each cell type: P1 on intervals and triangles, Q1 on quadrilaterals. */
export function elementFor(cellType: CellType): ReferenceElement {
  switch (cellType) {
    case 'interval':
      return P1Interval;
    case 'triangle':
      return P1Triangle;
    case 'quadrilateral':
      return Q1Quadrilateral;
  }
}
