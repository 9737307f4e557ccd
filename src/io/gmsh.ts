import { LimitError, checkMeshCounts, readBoundedTextFile } from '../util/limits.js';
import { writeFileAtomic } from './atomic.js';
import { NODES_PER_CELL, cellCount, nodeCount, type CellType, type Mesh } from '../mesh/mesh.js';
import { MeshFormatError, boundaryFacets, validateMesh } from '../mesh/validate.js';

/**
 * Gmsh MSH reader and writer, ASCII versions 2.2 and 4.1 (format reference: the Gmsh manual,
 * section "MSH file format", https://gmsh.info/doc/texinfo/gmsh.html#MSH-file-format).
 *
 * Sections read: $MeshFormat, $PhysicalNames, $Entities (4.1), $Nodes, $Elements. Any other
 * section ($Periodic, $NodeData, $Parametrizations, …) is skipped up to its $End line.
 * $PartitionedEntities (partitioned meshes) is refused: their elements sit on partition entities.
 *
 * Element types: 15 point, 1 line (2 nodes), 2 triangle (3), 3 quadrilateral (4); any other type
 * (higher order, 3D, …) is an error. How the file becomes a {@link Mesh}:
 * - the mesh dimension is the highest element dimension present (1 or 2); elements of that
 *   dimension become the cells, in file order; one cell type per mesh (mixed triangles and
 *   quadrilaterals are an error); cellTags are their physical tags;
 * - nodes are renumbered compactly in FILE ORDER (the order of $Nodes), keeping only nodes used by
 *   a cell (geometry points and other unused nodes are dropped);
 * - 2D nodes must have z = 0 and 1D nodes y = z = 0 (to 1e-12 of the largest coordinate);
 * - the cells are checked by {@link validateMesh}; a mesh whose cells are all clockwise (a surface
 *   with a −z normal) is reoriented counter-clockwise, mixed or degenerate cells are errors;
 * - facets are the boundary facets of the cells (edges in 2D, points in 1D), oriented with the
 *   domain on their left (see {@link boundaryFacets}). File elements one dimension below the cells
 *   that lie on that boundary come first, in file order, with their physical tag in facetTags;
 *   boundary facets the file does not list follow in cell order with tag 0. File elements of
 *   that dimension that are not on the boundary (interior curves) are dropped, as are points in 2D;
 * - physical tags: MSH 2.2 takes the first tag of each element; 4.1 takes the first physical tag
 *   of the element's entity ($Entities). Gmsh 2.2 writes an element once per physical group it
 *   belongs to: consecutive copies (same type, entity and nodes) are merged, keeping the first;
 * - physicalNames: names of the cell and facet dimensions only. Gmsh numbers physical groups per
 *   dimension while Mesh keys them by tag alone: when a cell group and a facet group share a tag,
 *   the facet group's name is kept (boundary conditions are looked up by name).
 *
 * Errors are {@link MeshFormatError}s with one-line messages `file:line: what was expected`.
 */

interface ElementType {
  readonly name: string;
  readonly dim: 0 | 1 | 2;
  readonly nodes: number;
}

const ELEMENT_TYPES: ReadonlyMap<number, ElementType> = new Map([
  [1, { name: 'line', dim: 1, nodes: 2 }],
  [2, { name: 'triangle', dim: 2, nodes: 3 }],
  [3, { name: 'quadrilateral', dim: 2, nodes: 4 }],
  [15, { name: 'point', dim: 0, nodes: 1 }],
]);
const SUPPORTED_TYPES = '(supported: 1 line, 2 triangle, 3 quadrilateral, 15 point)';
const CELL_TYPE_OF: Record<number, CellType> = { 1: 'interval', 2: 'triangle', 3: 'quadrilateral' };
const GMSH_TYPE_OF: Record<CellType, number> = { interval: 1, triangle: 2, quadrilateral: 3 };

/** Line-by-line reader that skips blank lines and remembers the 1-based line number. */
class Lines {
  private readonly lines: string[];
  private pos = 0;
  /** Number of the line last returned by next(). */
  lineNo = 0;

  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
  }

  /** The next non-blank line, trimmed, or null at the end of the text. */
  next(): string | null {
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos++].trim();
      if (line.length > 0) {
        this.lineNo = this.pos;
        return line;
      }
    }
    this.lineNo = this.lines.length;
    return null;
  }
}

function quote(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 57)}...` : line);
}

/** Growable number list backed by a typed array (for node coordinates and element data). */
class Grow<T extends Float64Array | Int32Array> {
  length = 0;
  constructor(public data: T) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new (this.data.constructor as new (n: number) => T)(Math.max(16, 2 * this.data.length));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

const f64 = () => new Grow(new Float64Array(64));
const i32 = () => new Grow(new Int32Array(64));

/** Raw content of a file before it becomes a Mesh. Node and element tags are the file's. */
class RawMesh {
  physicalNames: { dim: number; tag: number; name: string }[] = [];
  /** 4.1: entity tag → first physical tag (0 if none), per entity dimension 0..3; null if no $Entities. */
  entityPhysical: Map<number, number>[] | null = null;
  haveNodes = false;
  haveElements = false;
  nodeTag = f64();
  nodeXYZ = f64();
  nodeLine = i32();
  elemTag = f64();
  elemType = i32();
  elemPhysical = i32();
  /** 4.1: entity dimension and tag of the element's block; 2.2: −1 and the elementary tag. */
  elemEntityDim = i32();
  elemEntity = i32();
  elemLine = i32();
  elemStart = i32();
  elemNodes = f64();
}

/**
 * Parses a Gmsh MSH 2.2 or 4.1 ASCII file (see the module comment for how it maps to a Mesh).
 * `fileName` only names the file in error messages.
 */
export function readGmsh(text: string, fileName: string): Mesh {
  const lines = new Lines(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const fail = (line: number, msg: string): never => {
    throw new MeshFormatError(`${fileName}:${line}: ${msg}`, fileName, line);
  };
  const failEof = (section: string, detail: string): never => {
    throw new MeshFormatError(`${fileName}: unexpected end of file in ${section} (${detail})`, fileName);
  };
  const int = (tok: string | undefined, what: string): number => {
    const v = tok === undefined ? NaN : Number(tok);
    if (!Number.isInteger(v)) fail(lines.lineNo, `expected ${what} (an integer), got ${tok === undefined ? 'end of line' : quote(tok)}`);
    return v;
  };
  const count = (tok: string | undefined, what: string): number => {
    const v = int(tok, what);
    if (v < 0) fail(lines.lineNo, `expected ${what} (an integer ≥ 0), got ${quote(tok!)}`);
    return v;
  };
  /** A $Nodes / $Elements count, bounded before anything is read or allocated for it (src/limits.ts). */
  const meshCount = (tok: string | undefined, what: string, kind: 'nodes' | 'elements'): number => {
    const v = count(tok, what);
    try {
      checkMeshCounts(`${fileName}:${lines.lineNo}`, { [kind]: v });
    } catch (e) {
      if (e instanceof LimitError) throw new MeshFormatError(e.message, fileName, lines.lineNo);
      throw e;
    }
    return v;
  };
  const num = (tok: string | undefined, what: string): number => {
    const v = tok === undefined || tok === '' ? NaN : Number(tok);
    if (!Number.isFinite(v)) fail(lines.lineNo, `expected ${what} (a number), got ${tok === undefined ? 'end of line' : quote(tok)}`);
    return v;
  };
  /** Next line inside a section: end of file and a `$` line are errors. */
  const dataText = (section: string, what: string, progress: () => string): string => {
    const line = lines.next();
    if (line === null) failEof(section, progress());
    if (line!.startsWith('$')) fail(lines.lineNo, `expected ${what} in ${section}, got ${quote(line!)}`);
    return line!;
  };
  const dataLine = (section: string, what: string, progress: () => string): string[] => dataText(section, what, progress).split(/\s+/);
  const expectEnd = (name: string) => {
    const line = lines.next();
    if (line === null) failEof(`$${name}`, `missing $End${name}`);
    if (line !== `$End${name}`) fail(lines.lineNo, `expected $End${name}, got ${quote(line!)}`);
  };

  // --- $MeshFormat
  const first = lines.next();
  if (first === null) throw new MeshFormatError(`${fileName}: empty file (expected $MeshFormat)`, fileName);
  if (first !== '$MeshFormat') fail(lines.lineNo, `expected $MeshFormat, got ${quote(first)} (not a Gmsh MSH 2.2/4.1 file)`);
  const fmtTokens = dataLine('$MeshFormat', 'version, file type and data size', () => 'missing the version line');
  const version = fmtTokens[0];
  if (version !== '2.2' && version !== '4.1') fail(lines.lineNo, `unsupported MSH version ${version} (supported: 2.2, 4.1 ASCII)`);
  if (fmtTokens[1] !== '0') {
    fail(lines.lineNo, `unsupported binary MSH file (file type ${fmtTokens[1] ?? 'missing'}; supported: 2.2, 4.1 ASCII)`);
  }
  expectEnd('MeshFormat');

  const raw = new RawMesh();
  for (let line = lines.next(); line !== null; line = lines.next()) {
    if (!line.startsWith('$')) fail(lines.lineNo, `expected a section such as $Nodes or $Elements, got ${quote(line)}`);
    const name = line.slice(1);
    if (name === 'PhysicalNames') readPhysicalNames();
    else if (name === 'Entities' && version === '4.1') {
      // Element blocks look their entity up while they are read, so $Entities must come first.
      if (raw.entityPhysical) fail(lines.lineNo, 'second $Entities section (expected one)');
      if (raw.haveElements) fail(lines.lineNo, '$Entities after $Elements (expected before it, as Gmsh writes it)');
      readEntities();
    }
    else if (name === 'Nodes') {
      if (raw.haveNodes) fail(lines.lineNo, 'second $Nodes section (expected one)');
      raw.haveNodes = true;
      if (version === '4.1') readNodes41();
      else readNodes22();
    } else if (name === 'Elements') {
      if (raw.haveElements) fail(lines.lineNo, 'second $Elements section (expected one)');
      raw.haveElements = true;
      if (version === '4.1') readElements41();
      else readElements22();
    } else if (name === 'PartitionedEntities') {
      fail(lines.lineNo, 'partitioned meshes are not supported (save the mesh without partitions)');
    } else if (name.startsWith('End')) {
      fail(lines.lineNo, `unexpected ${line} (no open section)`);
    } else {
      // Unknown section: skip it.
      for (;;) {
        const l = lines.next();
        if (l === null) failEof(line, `missing $End${name}`);
        if (l === `$End${name}`) break;
      }
    }
  }
  return buildMesh(raw, fileName);

  function readPhysicalNames(): void {
    const n = count(dataLine('$PhysicalNames', 'the number of names', () => 'missing the count')[0], 'the number of physical names');
    for (let i = 0; i < n; i++) {
      const t = dataText('$PhysicalNames', 'a physical name', () => `expected ${n} names, read ${i}`);
      const m = /^(\d+)\s+(-?\d+)\s+"(.*)"$/.exec(t);
      if (!m) fail(lines.lineNo, `expected 'dimension tag "name"' in $PhysicalNames, got ${quote(t)}`);
      raw.physicalNames.push({ dim: Number(m![1]), tag: Number(m![2]), name: m![3] });
    }
    expectEnd('PhysicalNames');
  }

  function readEntities(): void {
    const head = dataLine('$Entities', 'numPoints numCurves numSurfaces numVolumes', () => 'missing the counts');
    const counts = [0, 1, 2, 3].map((d) => count(head[d], `the number of ${['points', 'curves', 'surfaces', 'volumes'][d]}`));
    const total = counts[0] + counts[1] + counts[2] + counts[3];
    raw.entityPhysical = [new Map(), new Map(), new Map(), new Map()];
    let read = 0;
    for (let d = 0; d < 4; d++) {
      for (let i = 0; i < counts[d]; i++) {
        const t = dataLine('$Entities', `an entity of dimension ${d}`, () => `expected ${total} entities, read ${read}`);
        const tag = int(t[0], 'an entity tag');
        const at = d === 0 ? 4 : 7; // point: tag x y z; others: tag minX minY minZ maxX maxY maxZ
        const nPhys = count(t[at], `the number of physical tags of entity ${tag}`);
        if (t.length < at + 1 + nPhys) fail(lines.lineNo, `expected ${nPhys} physical tags for entity ${tag}, got ${t.length - at - 1}`);
        raw.entityPhysical[d].set(tag, nPhys > 0 ? int(t[at + 1], 'a physical tag') : 0);
        read++;
      }
    }
    expectEnd('Entities');
  }

  function pushNode(tag: number, t: string[]): void {
    raw.nodeTag.push(tag);
    raw.nodeXYZ.push(num(t[0], `x of node ${tag}`));
    raw.nodeXYZ.push(num(t[1], `y of node ${tag}`));
    raw.nodeXYZ.push(num(t[2], `z of node ${tag}`));
    raw.nodeLine.push(lines.lineNo);
  }

  function readNodes22(): void {
    const n = meshCount(dataLine('$Nodes', 'the number of nodes', () => 'missing the count')[0], 'the number of nodes', 'nodes');
    for (let i = 0; i < n; i++) {
      const t = dataLine('$Nodes', `node ${i + 1} of ${n}`, () => `expected ${n} nodes, read ${i}`);
      if (t.length !== 4) fail(lines.lineNo, `expected "tag x y z" for a node, got ${quote(t.join(' '))}`);
      const tag = int(t[0], 'a node tag');
      pushNode(tag, t.slice(1));
    }
    expectEnd('Nodes');
  }

  function readNodes41(): void {
    const h = dataLine('$Nodes', 'numEntityBlocks numNodes minNodeTag maxNodeTag', () => 'missing the header');
    const nBlocks = count(h[0], 'the number of node blocks');
    const n = meshCount(h[1], 'the number of nodes', 'nodes');
    let read = 0;
    const progress = () => `expected ${n} nodes, read ${read}`;
    const tags: number[] = [];
    for (let b = 0; b < nBlocks; b++) {
      const bh = dataLine('$Nodes', 'a node block header "entityDim entityTag parametric numNodesInBlock"', progress);
      if (bh.length !== 4) fail(lines.lineNo, `expected a node block header "entityDim entityTag parametric numNodesInBlock", got ${quote(bh.join(' '))}`);
      const entityDim = count(bh[0], 'an entity dimension');
      const parametric = count(bh[2], 'the parametric flag');
      const m = count(bh[3], 'the number of nodes in the block');
      if (read + m > n) fail(lines.lineNo, `node blocks hold more than the ${n} nodes announced in the $Nodes header`);
      tags.length = 0;
      while (tags.length < m) {
        for (const tok of dataLine('$Nodes', 'node tags', progress)) tags.push(int(tok, 'a node tag'));
      }
      if (tags.length > m) fail(lines.lineNo, `expected ${m} node tags in this block, got ${tags.length}`);
      const width = 3 + (parametric ? entityDim : 0);
      for (let i = 0; i < m; i++) {
        const t = dataLine('$Nodes', `coordinates of node ${tags[i]}`, progress);
        if (t.length !== width) fail(lines.lineNo, `expected ${width} coordinates for node ${tags[i]}, got ${t.length}`);
        pushNode(tags[i], t);
        read++;
      }
    }
    if (read !== n) fail(lines.lineNo, `the $Nodes header announces ${n} nodes but its blocks hold ${read}`);
    expectEnd('Nodes');
  }

  function pushElement(tag: number, type: number, physical: number, entityDim: number, entity: number, nodeTokens: string[], from: number): void {
    raw.elemTag.push(tag);
    raw.elemType.push(type);
    raw.elemPhysical.push(physical);
    raw.elemEntityDim.push(entityDim);
    raw.elemEntity.push(entity);
    raw.elemLine.push(lines.lineNo);
    raw.elemStart.push(raw.elemNodes.length);
    for (let j = from; j < nodeTokens.length; j++) raw.elemNodes.push(int(nodeTokens[j], `a node tag of element ${tag}`));
  }

  function elementType(type: number): ElementType {
    const et = ELEMENT_TYPES.get(type);
    if (!et) fail(lines.lineNo, `unknown element type ${type} ${SUPPORTED_TYPES}`);
    return et!;
  }

  function readElements22(): void {
    const n = meshCount(dataLine('$Elements', 'the number of elements', () => 'missing the count')[0], 'the number of elements', 'elements');
    let prev = -1;
    for (let i = 0; i < n; i++) {
      const t = dataLine('$Elements', `element ${i + 1} of ${n}`, () => `expected ${n} elements, read ${i}`);
      const tag = int(t[0], 'an element tag');
      const type = int(t[1], `the type of element ${tag}`);
      const et = elementType(type);
      const nTags = count(t[2], `the number of tags of element ${tag}`);
      const got = t.length - 3 - nTags;
      if (got !== et.nodes) fail(lines.lineNo, `expected ${et.nodes} node tags for element type ${type}, got ${Math.max(got, 0)}`);
      const physical = nTags >= 1 ? int(t[3], `the physical tag of element ${tag}`) : 0;
      const entity = nTags >= 2 ? int(t[4], `the elementary tag of element ${tag}`) : 0;
      // Gmsh 2.2 repeats an element once per physical group: merge consecutive copies.
      if (prev >= 0 && raw.elemType.data[prev] === type && raw.elemEntity.data[prev] === entity) {
        let same = true;
        const s = raw.elemStart.data[prev];
        for (let j = 0; j < et.nodes && same; j++) same = raw.elemNodes.data[s + j] === Number(t[3 + nTags + j]);
        if (same) continue;
      }
      prev = raw.elemTag.length;
      pushElement(tag, type, physical, -1, entity, t, 3 + nTags);
    }
    expectEnd('Elements');
  }

  function readElements41(): void {
    const h = dataLine('$Elements', 'numEntityBlocks numElements minElementTag maxElementTag', () => 'missing the header');
    const nBlocks = count(h[0], 'the number of element blocks');
    const n = meshCount(h[1], 'the number of elements', 'elements');
    let read = 0;
    const progress = () => `expected ${n} elements, read ${read}`;
    for (let b = 0; b < nBlocks; b++) {
      const bh = dataLine('$Elements', 'an element block header "entityDim entityTag elementType numElementsInBlock"', progress);
      if (bh.length !== 4) {
        fail(lines.lineNo, `expected an element block header "entityDim entityTag elementType numElementsInBlock", got ${quote(bh.join(' '))}`);
      }
      const entityDim = count(bh[0], 'an entity dimension');
      const entity = int(bh[1], 'an entity tag');
      const type = int(bh[2], 'an element type');
      const et = elementType(type);
      if (entityDim !== et.dim) fail(lines.lineNo, `element type ${type} (${et.name}) has dimension ${et.dim}, but the block's entity has dimension ${entityDim}`);
      const m = count(bh[3], 'the number of elements in the block');
      if (read + m > n) fail(lines.lineNo, `element blocks hold more than the ${n} elements announced in the $Elements header`);
      let physical = 0;
      if (raw.entityPhysical) {
        const p = raw.entityPhysical[entityDim]?.get(entity);
        if (p === undefined) fail(lines.lineNo, `element block refers to entity ${entity} of dimension ${entityDim}, which is not in $Entities`);
        physical = p!;
      }
      for (let i = 0; i < m; i++) {
        const t = dataLine('$Elements', `element ${i + 1} of ${m} in this block`, progress);
        const tag = int(t[0], 'an element tag');
        if (t.length - 1 !== et.nodes) fail(lines.lineNo, `expected ${et.nodes} node tags for element type ${type}, got ${t.length - 1}`);
        pushElement(tag, type, physical, entityDim, entity, t, 1);
        read++;
      }
    }
    if (read !== n) fail(lines.lineNo, `the $Elements header announces ${n} elements but its blocks hold ${read}`);
    expectEnd('Elements');
  }
}

/** Turns the raw file content into a validated Mesh (see the module comment). */
function buildMesh(raw: RawMesh, fileName: string): Mesh {
  const fail = (line: number, msg: string): never => {
    throw new MeshFormatError(`${fileName}:${line}: ${msg}`, fileName, line);
  };
  if (!raw.haveNodes) throw new MeshFormatError(`${fileName}: no $Nodes section`, fileName);
  if (!raw.haveElements) throw new MeshFormatError(`${fileName}: no $Elements section`, fileName);

  // Node tag → file index.
  const nFileNodes = raw.nodeTag.length;
  const nodeIndex = new Map<number, number>();
  for (let i = 0; i < nFileNodes; i++) {
    const tag = raw.nodeTag.data[i];
    const prev = nodeIndex.get(tag);
    if (prev !== undefined) fail(raw.nodeLine.data[i], `node ${tag} is defined twice (first on line ${raw.nodeLine.data[prev]})`);
    nodeIndex.set(tag, i);
  }

  // Dimension and cell type.
  const nElems = raw.elemTag.length;
  const T = raw.elemType.data;
  let dim = 0;
  for (let e = 0; e < nElems; e++) dim = Math.max(dim, ELEMENT_TYPES.get(T[e])!.dim);
  if (dim === 0) throw new MeshFormatError(`${fileName}: no line, triangle or quadrilateral elements (nothing to mesh)`, fileName);
  let firstCell = -1;
  let nCells = 0;
  for (let e = 0; e < nElems; e++) {
    if (ELEMENT_TYPES.get(T[e])!.dim !== dim) continue;
    nCells++;
    if (firstCell < 0) firstCell = e;
    else if (T[e] !== T[firstCell]) {
      fail(
        raw.elemLine.data[e],
        `mixed cell types: element ${raw.elemTag.data[e]} is a ${ELEMENT_TYPES.get(T[e])!.name} but element ${raw.elemTag.data[firstCell]} (line ${raw.elemLine.data[firstCell]}) is a ${ELEMENT_TYPES.get(T[firstCell])!.name}; a mesh holds one cell type`,
      );
    }
  }
  const cellType = CELL_TYPE_OF[T[firstCell]];
  const k = NODES_PER_CELL[cellType];

  // Resolve every node reference (all elements, so a corrupt file is never half-read).
  const elemNodeIndex = new Int32Array(raw.elemNodes.length);
  for (let e = 0; e < nElems; e++) {
    const s = raw.elemStart.data[e];
    const npe = ELEMENT_TYPES.get(T[e])!.nodes;
    for (let j = 0; j < npe; j++) {
      const idx = nodeIndex.get(raw.elemNodes.data[s + j]);
      if (idx === undefined) {
        fail(raw.elemLine.data[e], `element ${raw.elemTag.data[e]} references node ${raw.elemNodes.data[s + j]}, which is not defined`);
      }
      elemNodeIndex[s + j] = idx!;
    }
  }

  // Compact numbering of the nodes used by cells, in file order.
  const newIndex = new Int32Array(nFileNodes).fill(-1);
  for (let e = 0; e < nElems; e++) {
    if (ELEMENT_TYPES.get(T[e])!.dim !== dim) continue;
    const s = raw.elemStart.data[e];
    for (let j = 0; j < k; j++) newIndex[elemNodeIndex[s + j]] = 0;
  }
  let N = 0;
  let scale = 0;
  const XYZ = raw.nodeXYZ.data;
  for (let i = 0; i < nFileNodes; i++) {
    if (newIndex[i] < 0) continue;
    newIndex[i] = N++;
    scale = Math.max(scale, Math.abs(XYZ[3 * i]), Math.abs(XYZ[3 * i + 1]));
  }
  const planeTol = 1e-12 * scale;
  const nodes = new Float64Array(dim * N);
  for (let i = 0; i < nFileNodes; i++) {
    const n = newIndex[i];
    if (n < 0) continue;
    const [x, y, z] = [XYZ[3 * i], XYZ[3 * i + 1], XYZ[3 * i + 2]];
    if (dim === 2) {
      if (Math.abs(z) > planeTol) fail(raw.nodeLine.data[i], `node ${raw.nodeTag.data[i]} has z = ${z}; only planar meshes in the plane z = 0 are supported`);
      nodes[2 * n] = x;
      nodes[2 * n + 1] = y;
    } else {
      if (Math.abs(y) > planeTol || Math.abs(z) > planeTol) {
        fail(raw.nodeLine.data[i], `node ${raw.nodeTag.data[i]} has y = ${y}, z = ${z}; 1D meshes must lie on the x axis (y = z = 0)`);
      }
      nodes[n] = x;
    }
  }

  // Cells, validated (and reoriented if all clockwise).
  const cells = new Uint32Array(k * nCells);
  const cellTags = new Int32Array(nCells);
  const cellElement = new Int32Array(nCells);
  let c = 0;
  for (let e = 0; e < nElems; e++) {
    if (ELEMENT_TYPES.get(T[e])!.dim !== dim) continue;
    const s = raw.elemStart.data[e];
    for (let j = 0; j < k; j++) cells[k * c + j] = newIndex[elemNodeIndex[s + j]];
    cellTags[c] = raw.elemPhysical.data[e];
    cellElement[c++] = e;
  }
  const physicalNames = new Map<number, { dim: number; name: string }>();
  for (const p of raw.physicalNames) if (p.dim === dim) physicalNames.set(p.tag, { dim: p.dim, name: p.name });
  for (const p of raw.physicalNames) if (p.dim === dim - 1) physicalNames.set(p.tag, { dim: p.dim, name: p.name });
  const cellsOnly: Mesh = {
    dim: dim as 1 | 2,
    cellType,
    nodes,
    cells,
    cellTags,
    facets: new Uint32Array(0),
    facetTags: new Int32Array(0),
    physicalNames,
  };
  const oriented = validateMesh(cellsOnly, fileName, (cell) => {
    const e = cellElement[cell];
    return { line: raw.elemLine.data[e], label: `element ${raw.elemTag.data[e]} (cell ${cell})` };
  });

  // Facets: the boundary of the cells; tagged from the file's lower-dimensional elements.
  const boundary = boundaryFacets(oriented);
  const fs = dim; // nodes per facet
  const nBoundary = boundary.length / fs;
  const key = (a: number, b: number) => (a < b ? a * N + b : b * N + a);
  const boundaryIndex = new Map<number, number>();
  for (let f = 0; f < nBoundary; f++) boundaryIndex.set(fs === 1 ? boundary[f] : key(boundary[2 * f], boundary[2 * f + 1]), f);
  const taken = new Uint8Array(nBoundary);
  const order: number[] = [];
  const tags: number[] = [];
  for (let e = 0; e < nElems; e++) {
    if (ELEMENT_TYPES.get(T[e])!.dim !== dim - 1) continue;
    const s = raw.elemStart.data[e];
    const a = newIndex[elemNodeIndex[s]];
    const b = fs === 2 ? newIndex[elemNodeIndex[s + 1]] : a;
    if (a < 0 || b < 0) continue; // not a node of any cell
    const f = boundaryIndex.get(fs === 1 ? a : key(a, b));
    if (f === undefined || taken[f]) continue;
    taken[f] = 1;
    order.push(f);
    tags.push(raw.elemPhysical.data[e]);
  }
  for (let f = 0; f < nBoundary; f++) {
    if (taken[f]) continue;
    order.push(f);
    tags.push(0);
  }
  const facets = new Uint32Array(fs * order.length);
  for (let i = 0; i < order.length; i++) for (let j = 0; j < fs; j++) facets[fs * i + j] = boundary[fs * order[i] + j];
  return { ...oriented, facets, facetTags: Int32Array.from(tags) };
}

/**
 * Reads a Gmsh MSH 2.2 or 4.1 ASCII file; errors name the file as `path` is given. Devices,
 * pipes, folders and files over LIMITS.meshFileBytes are refused before reading (`--mesh /dev/zero`).
 */
export function readGmshFile(path: string): Mesh {
  let text: string;
  try {
    text = readBoundedTextFile(path, '--mesh');
  } catch (e) {
    if (e instanceof LimitError) throw new MeshFormatError(e.message, path);
    throw e;
  }
  return readGmsh(text, path);
}

/** Shortest decimal that reads back to the same float64 (keeps the sign of −0). */
function coord(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/**
 * Serialises a mesh as Gmsh MSH ASCII, version 4.1 (default) or 2.2. Reading the result with
 * {@link readGmsh} gives identical typed arrays for any validated mesh whose cells are
 * counter-clockwise, whose facets are all its boundary facets with the domain on their left (as
 * readGmsh and the generators produce), and whose nodes are all used.
 *
 * Layout written: $PhysicalNames from mesh.physicalNames; node tags 1..N in node order with
 * coordinates printed as the shortest round-trip decimal (z = 0, and y = 0 in 1D); element tags
 * 1.. with the facets first (lines in 2D, points in 1D), then the cells, each in mesh order.
 * Entities: one per distinct tag among the cells and among the 2D facets (numbered 1.. in order of
 * first appearance, with that physical tag, none for tag 0), one point entity per 1D facet.
 * 4.1 writes one element block per run of consecutive elements on the same entity and puts all
 * nodes in one block on the first cell entity; 2.2 writes the physical and elementary tag.
 */
export function writeGmsh(mesh: Mesh, version: '2.2' | '4.1' = '4.1'): string {
  if (version !== '2.2' && version !== '4.1') throw new RangeError(`writeGmsh: unsupported MSH version ${String(version)} (supported: 2.2, 4.1)`);
  const dim = mesh.dim;
  const N = nodeCount(mesh);
  const nCells = cellCount(mesh);
  const k = NODES_PER_CELL[mesh.cellType];
  const fs = dim;
  const nFacets = mesh.facets.length / fs;
  const cellGmshType = GMSH_TYPE_OF[mesh.cellType];
  const facetGmshType = dim === 2 ? 1 : 15;
  const X = mesh.nodes;
  const xyz = (i: number) => (dim === 2 ? `${coord(X[2 * i])} ${coord(X[2 * i + 1])} 0` : `${coord(X[i])} 0 0`);

  // Entities: tag → entity number per group.
  const entityOf = (tags: Int32Array, onePerElement: boolean) => {
    const ids = new Int32Array(tags.length);
    const physical: number[] = [];
    const byTag = new Map<number, number>();
    for (let i = 0; i < tags.length; i++) {
      let id = onePerElement ? undefined : byTag.get(tags[i]);
      if (id === undefined) {
        physical.push(tags[i]);
        id = physical.length;
        byTag.set(tags[i], id);
      }
      ids[i] = id;
    }
    return { ids, physical };
  };
  const cellEntities = entityOf(mesh.cellTags, false);
  const facetEntities = entityOf(mesh.facetTags, dim === 1);

  const out: string[] = [];
  out.push('$MeshFormat', `${version} 0 8`, '$EndMeshFormat');
  if (mesh.physicalNames.size > 0) {
    out.push('$PhysicalNames', String(mesh.physicalNames.size));
    for (const [tag, { dim: d, name }] of mesh.physicalNames) out.push(`${d} ${tag} "${name}"`);
    out.push('$EndPhysicalNames');
  }

  if (version === '2.2') {
    out.push('$Nodes', String(N));
    for (let i = 0; i < N; i++) out.push(`${i + 1} ${xyz(i)}`);
    out.push('$EndNodes', '$Elements', String(nFacets + nCells));
    let tag = 1;
    for (let f = 0; f < nFacets; f++) {
      const nodes = Array.from(mesh.facets.subarray(fs * f, fs * f + fs), (n) => n + 1).join(' ');
      out.push(`${tag++} ${facetGmshType} 2 ${mesh.facetTags[f]} ${facetEntities.ids[f]} ${nodes}`);
    }
    for (let c = 0; c < nCells; c++) {
      const nodes = Array.from(mesh.cells.subarray(k * c, k * c + k), (n) => n + 1).join(' ');
      out.push(`${tag++} ${cellGmshType} 2 ${mesh.cellTags[c]} ${cellEntities.ids[c]} ${nodes}`);
    }
    out.push('$EndElements');
    return out.join('\n') + '\n';
  }

  // --- 4.1 $Entities: bounding boxes of the nodes of each entity's elements.
  const bbox = (conn: Uint32Array, size: number, ids: Int32Array, nEntities: number) => {
    const box = new Float64Array(4 * nEntities).fill(NaN);
    for (let e = 0; e < ids.length; e++) {
      const b = 4 * (ids[e] - 1);
      for (let j = 0; j < size; j++) {
        const n = conn[size * e + j];
        const x = dim === 2 ? X[2 * n] : X[n];
        const y = dim === 2 ? X[2 * n + 1] : 0;
        if (!(box[b] <= x)) box[b] = x;
        if (!(box[b + 1] <= y)) box[b + 1] = y;
        if (!(box[b + 2] >= x)) box[b + 2] = x;
        if (!(box[b + 3] >= y)) box[b + 3] = y;
      }
    }
    return box;
  };
  const entityLine = (id: number, box: Float64Array, physical: number) => {
    const b = 4 * (id - 1);
    const phys = physical !== 0 ? `1 ${physical}` : '0';
    return `${id} ${coord(box[b])} ${coord(box[b + 1])} 0 ${coord(box[b + 2])} ${coord(box[b + 3])} 0 ${phys} 0`;
  };
  const nCellEntities = cellEntities.physical.length;
  const nFacetEntities = facetEntities.physical.length;
  const cellBox = bbox(mesh.cells, k, cellEntities.ids, nCellEntities);
  out.push('$Entities');
  if (dim === 2) {
    const facetBox = bbox(mesh.facets, 2, facetEntities.ids, nFacetEntities);
    out.push(`0 ${nFacetEntities} ${nCellEntities} 0`);
    for (let id = 1; id <= nFacetEntities; id++) out.push(entityLine(id, facetBox, facetEntities.physical[id - 1]));
  } else {
    out.push(`${nFacetEntities} ${nCellEntities} 0 0`);
    for (let f = 0; f < nFacets; f++) {
      const phys = mesh.facetTags[f] !== 0 ? `1 ${mesh.facetTags[f]}` : '0';
      out.push(`${f + 1} ${xyz(mesh.facets[f])} ${phys}`);
    }
  }
  for (let id = 1; id <= nCellEntities; id++) out.push(entityLine(id, cellBox, cellEntities.physical[id - 1]));
  out.push('$EndEntities');

  // --- $Nodes: one block on the first cell entity.
  out.push('$Nodes', `1 ${N} ${N > 0 ? 1 : 0} ${N}`, `${dim} 1 0 ${N}`);
  for (let i = 0; i < N; i++) out.push(String(i + 1));
  for (let i = 0; i < N; i++) out.push(xyz(i));
  out.push('$EndNodes');

  // --- $Elements: blocks of consecutive elements on one entity.
  const blocks: string[] = [];
  let nBlocks = 0;
  let tag = 1;
  const writeBlocks = (conn: Uint32Array, size: number, ids: Int32Array, entityDim: number, type: number) => {
    for (let start = 0; start < ids.length; ) {
      let end = start + 1;
      while (end < ids.length && ids[end] === ids[start]) end++;
      blocks.push(`${entityDim} ${ids[start]} ${type} ${end - start}`);
      nBlocks++;
      for (let e = start; e < end; e++) {
        let line = String(tag++);
        for (let j = 0; j < size; j++) line += ` ${conn[size * e + j] + 1}`;
        blocks.push(line);
      }
      start = end;
    }
  };
  writeBlocks(mesh.facets, fs, facetEntities.ids, dim - 1, facetGmshType);
  writeBlocks(mesh.cells, k, cellEntities.ids, dim, cellGmshType);
  const nElems = nFacets + nCells;
  out.push('$Elements', `${nBlocks} ${nElems} ${nElems > 0 ? 1 : 0} ${nElems}`);
  return out.concat(blocks, '$EndElements').join('\n') + '\n';
}

/** Writes {@link writeGmsh}(mesh, version) to `path` atomically (temp file, then rename). */
export function writeGmshFile(path: string, mesh: Mesh, version: '2.2' | '4.1' = '4.1'): void {
  writeFileAtomic(path, writeGmsh(mesh, version));
}
