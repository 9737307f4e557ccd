import { z } from 'zod';
import { LIMITS } from './util/limits.js';

/**
 * Solver options declared once, as a zod schema per solver kind (src/solver.ts `SolverKind`):
 * each field carries its bounds, its default and a one-line doc, and the library's validation,
 * the `allen-cahn run` flags with their help text, and the suite's solver schema are all derived
 * from it (STYLE.md habit 10).
 *
 * Conventions for a field:
 * - build it from the `option` helpers below, so every failure message is a whole predicate
 *   with the offending value ("must be a positive integer, got 0"; enums may say
 *   "unknown scheme 'rk4' (known: …)");
 * - `.default(v)` for a constant default; leave a field optional without default when the
 *   default depends on the problem (say so in the doc, e.g. "default: the problem's n");
 * - `.meta({ description, … })` last (OptionMeta): the one-line doc, and optionally the CLI flag
 *   and argument names when they differ from the key.
 */

/** What a field's `.meta()` may hold. */
export interface OptionMeta {
  /** One line: what the option is and its default, e.g. 'rank r: separable features per axis'. */
  description: string;
  /** CLI flag without the dashes; default: the key in kebab-case (newtonTolerance → newton-tolerance). */
  flag?: string;
  /** Name of the flag's argument in the help text; default 'value'. */
  arg?: string;
  /**
   * The run-level flag of the same name (`--n`, `--seed`) also sets this option, so the kind gets
   * no flag of its own (e.g. SDMM's seed defaults to the problem's seed and follows `--seed`).
   */
  sharedFlag?: boolean;
}

/** The value shape of a kind's options: a strict zod object of fields. */
export type OptionsSchema = z.ZodObject<z.ZodRawShape, z.core.$strict>;

const got = (v: unknown) => (typeof v === 'string' ? v : String(v));

/** Field builders whose failure messages are whole predicates naming the offending value. */
export const option = {
  /** A finite number > 0. */
  positive: () => {
    const m = (i: { input: unknown }) => `must be a positive number, got ${got(i.input)}`;
    return z.number({ error: m }).positive({ error: m });
  },
  /** A finite number ≥ 0; `requirement` words the message (default 'a non-negative number'). */
  nonNegative: (requirement = 'a non-negative number') => {
    const m = (i: { input: unknown }) => `must be ${requirement}, got ${got(i.input)}`;
    return z.number({ error: m }).nonnegative({ error: m });
  },
  /**
   * An integer ≥ 1; with `limit` (a name of LIMITS in src/util/limits.ts) also at most that
   * bound, checked before anything is allocated: "must be at most 1024 (the limit), got 1000000".
   */
  positiveInteger: (limit?: keyof typeof LIMITS) => {
    const m = (i: { input: unknown }) => `must be a positive integer, got ${got(i.input)}`;
    const s = z.number({ error: m }).int({ error: m }).min(1, { error: m });
    if (limit === undefined) return s;
    const max = LIMITS[limit];
    return s.max(max, { error: (i) => `must be at most ${max} (the limit), got ${got(i.input)}` });
  },
  /** An integer ≥ 0, at most `max` when given. */
  nonNegativeInteger: (max?: number) => {
    const m = (i: { input: unknown }) => `must be an integer ≥ 0, got ${got(i.input)}`;
    const s = z.number({ error: m }).int({ error: m }).min(0, { error: m });
    return max === undefined ? s : s.max(max, { error: (i) => `must be at most ${max}, got ${got(i.input)}` });
  },
  /** Any integer. */
  integer: () => {
    const m = (i: { input: unknown }) => `must be an integer, got ${got(i.input)}`;
    return z.number({ error: m }).int({ error: m });
  },
  /** A number in the open interval (lo, hi). */
  openInterval: (lo: number, hi: number) => {
    const m = (i: { input: unknown }) => `must be in (${lo}, ${hi}), got ${got(i.input)}`;
    return z.number({ error: m }).gt(lo, { error: m }).lt(hi, { error: m });
  },
  /** A finite non-zero number. */
  nonZero: () => {
    const m = (i: { input: unknown }) => `must be a finite non-zero number, got ${got(i.input)}`;
    return z.number({ error: m }).refine((v) => v !== 0, { error: m });
  },
  /** true or false. */
  boolean: () => z.boolean({ error: (i) => `must be true or false, got ${got(i.input)}` }),
  /**
   * One of `values`. With `label` the message reads "unknown <label> 'x' (known: …)", otherwise
   * "must be one of …, got x".
   */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T, label?: string) =>
    z.enum(values, {
      error: (i) => (label ? `unknown ${label} '${got(i.input)}' (known: ${values.join(', ')})` : `must be one of ${values.join(', ')}, got ${got(i.input)}`),
    }),
  /** A non-empty string (e.g. a file path). */
  text: () => z.string({ error: (i) => `must be a string, got ${got(i.input)}` }).min(1, { error: 'must not be empty' }),
};

/** What the CLI and the docs need to know about one field. */
export interface OptionField {
  key: string;
  meta: OptionMeta;
  /** Value type, from the schema. */
  type: 'number' | 'integer' | 'boolean' | 'enum' | 'string';
  /** Allowed values of an enum. */
  values?: readonly string[];
  /** The constant default, if the schema declares one. */
  defaultValue?: unknown;
  /** The field without default and optional wrappers (validates one value). */
  schema: z.ZodType;
}

type Def = { type: string; innerType?: z.ZodType; defaultValue?: unknown; entries?: Record<string, string> };

/** Strip `.default()` / `.optional()` wrappers: the inner schema and the default if any. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; defaultValue?: unknown; hasDefault: boolean } {
  let s = schema;
  let defaultValue: unknown;
  let hasDefault = false;
  for (;;) {
    const def = s._zod.def as unknown as Def;
    if (def.type === 'default') {
      hasDefault = true;
      defaultValue = def.defaultValue;
      s = def.innerType!;
    } else if (def.type === 'optional') s = def.innerType!;
    else return { inner: s, defaultValue, hasDefault };
  }
}

/** The fields of an options schema, in declaration order. Throws for a field without a description. */
export function optionFields(schema: OptionsSchema): OptionField[] {
  return Object.entries(schema.shape).map(([key, field]) => {
    const meta = (field as z.ZodType).meta() as OptionMeta | undefined;
    if (!meta?.description) throw new Error(`option '${key}' has no .meta({ description })`);
    const { inner, defaultValue, hasDefault } = unwrap(field as z.ZodType);
    const def = inner._zod.def as unknown as Def;
    let type: OptionField['type'];
    let values: string[] | undefined;
    if (def.type === 'number') type = (inner as z.ZodNumber).isInt ? 'integer' : 'number';
    else if (def.type === 'boolean') type = 'boolean';
    else if (def.type === 'enum') {
      type = 'enum';
      values = Object.values(def.entries ?? {});
    } else if (def.type === 'string') type = 'string';
    else throw new Error(`option '${key}': unsupported schema type '${def.type}'`);
    return { key, meta, type, ...(values ? { values } : {}), ...(hasDefault ? { defaultValue } : {}), schema: inner };
  });
}

/**
 * The same fields, every one optional and without defaults: the options as a user wrote them
 * (the suite keeps specs in this form, so labels and run keys name only what was set).
 */
export function withoutDefaults(schema: OptionsSchema): OptionsSchema {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape)) shape[key] = unwrap(field as z.ZodType).inner.optional();
  return z.strictObject(shape);
}

/**
 * One line for the first issue of a failed parse, in the library's wording:
 * "<key> must be …, got …", "unknown <label> …", or "unknown <what> option 'k' (known: …)".
 */
export function optionIssueMessage(error: z.ZodError, what: string, schema: OptionsSchema): string {
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    return `unknown ${what} option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} (known: ${Object.keys(schema.shape).join(', ')})`;
  }
  const key = issue.path.map(String).join('.');
  return issue.message.startsWith('must') && key !== '' ? `${key} ${issue.message}` : issue.message;
}

/**
 * Validate options against a schema and fill in its defaults. Throws `makeError(message)` with
 * the one-line message of optionIssueMessage.
 */
export function parseOptions<S extends OptionsSchema>(schema: S, input: unknown, what: string, makeError: (message: string) => Error): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw makeError(optionIssueMessage(r.error, what, schema));
  return r.data;
}
