/**
 * Does a discretisation resolve the interface? One rule for every solver (docs/DESIGN.md §1,
 * "Resolution check"):
 *
 *   warn  ⇔  h > ε
 *
 * with ε the problem's interface width and h the LARGEST spacing of the points the solver sees u
 * at, which each solver reports about itself (SolverFacts.resolution):
 *
 * - FEM: the largest cell diameter max_K diam(K) (the longest distance between two vertices of a
 *   cell: the longest edge of a triangle, the diagonal of a quadrilateral, the length of an
 *   interval), the mesh size h of finite-element theory, for structured and Gmsh meshes alike;
 * - SDMM: the largest gap between adjacent Gauss points of the quadrature grid on any axis (the
 *   wrap-around gap included on periodic axes): the quadrature sees u only at those points, so an
 *   interface narrower than that gap can sit between two of them with its gradient energy unseen
 *   (the aliasing of README "Known limit of converged SDMM steps");
 * - SPINN: the spacing of its collocation grid in space (cell size (max − min)/spacePoints).
 *
 * The profile tanh(x/(√2 ε)) goes from −0.76 to 0.76 over 2√2 ε ≈ 2.8 ε, so h > ε leaves fewer
 * than three spacings across the interface: its energy 2√2/(3ε) and its speed are then the
 * discretisation's, not the equation's (front1d at ε = 1e-4 on its reduced 160 cells:
 * E₀ = 333,413 against the exact 9,428). The rule is the floor for a warning, not a
 * recommendation: accurate runs want ε/h ≥ 2.5 (DESIGN.md §1).
 */

/** A solver's resolution: its largest spacing h, what h measures, and the options that refine it. */
export interface Resolution {
  /** The largest spacing, in the domain's length unit (> 0). */
  readonly h: number;
  /** What h measures, e.g. 'mesh: largest cell diameter'. */
  readonly of: string;
  /** The option names (as in the kind's schema) that make h smaller, e.g. ['quadElements', 'quadPoints']. */
  readonly refine: readonly string[];
}

/** The warning of a run whose discretisation does not resolve ε (summary.json `warnings`). */
export interface UnderResolvedWarning {
  readonly kind: 'under-resolved';
  readonly h: number;
  readonly epsilon: number;
  /** h / ε (> 1). */
  readonly ratio: number;
  readonly of: string;
  readonly refine: readonly string[];
  /** One line, e.g. 'under-resolved: h = 0.0884 > ε = 0.04 (mesh: largest cell diameter); refine n, or raise ε'. */
  readonly message: string;
}

/** Every warning a run records (one kind so far). */
export type RunWarning = UnderResolvedWarning;

const g3 = (x: number) => String(Number(x.toPrecision(3)));

/**
 * The warning's one line; `name` renders an option name (the command line passes its flag
 * spelling, '--quad-elements'; the default is the option name itself).
 */
export function underResolvedMessage(w: Pick<UnderResolvedWarning, 'h' | 'epsilon' | 'of' | 'refine'>, name: (option: string) => string = (o) => o): string {
  const refine = w.refine.length > 0 ? `refine ${w.refine.map(name).join(' or ')}, or raise ε` : 'raise ε';
  return `under-resolved: h = ${g3(w.h)} > ε = ${g3(w.epsilon)} (${w.of}); ${refine}`;
}

/**
 * The rule: a warning when h > ε, nothing when h ≤ ε or when the solver reports no resolution.
 * A non-finite or non-positive h or ε is a programming error (one line).
 */
export function resolutionWarning(resolution: Resolution | undefined, epsilon: number): UnderResolvedWarning | undefined {
  if (resolution === undefined) return undefined;
  const { h, of, refine } = resolution;
  if (!(Number.isFinite(h) && h > 0)) throw new RangeError(`resolution h must be a positive number, got ${h} (${of})`);
  if (!(Number.isFinite(epsilon) && epsilon > 0)) throw new RangeError(`epsilon must be a positive number, got ${epsilon}`);
  if (h <= epsilon) return undefined;
  return { kind: 'under-resolved', h, epsilon, ratio: h / epsilon, of, refine: [...refine], message: underResolvedMessage({ h, epsilon, of, refine }) };
}
