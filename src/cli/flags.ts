import { type Command, InvalidArgumentError, Option } from 'commander';
import { optionFields, type OptionField } from '../options.js';
import type { SolverKind } from '../solver.js';

/**
 * `allen-cahn run` flags generated from the solver kinds' option schemas (src/options.ts), so a
 * kind's option is declared once and its flag, argument check and help line follow from it.
 *
 * - the flag is `--<meta.flag or kebab-case key>`; a boolean defaulting to true becomes
 *   `--no-<flag>`, one defaulting to false `--<flag>`;
 * - numbers are parsed here ("expected a number"); a flag of one kind is also checked against its
 *   field schema, so `--rank 0` fails with the schema's own message;
 * - a flag several kinds declare is registered once and checked by the chosen kind's schema;
 * - fields marked `sharedFlag` get no flag: the run-level flag of that name sets them.
 */

/** A generated flag: its commander attribute and the kinds (and fields) it belongs to. */
export interface KindFlag {
  /** '--rank', '--no-bound'. */
  flag: string;
  /** Commander's attribute name ('rank', 'bound'). */
  attribute: string;
  fields: { kind: SolverKind; field: OptionField }[];
  /** The argument as typed, once parsed (messages quote it as written). */
  raw?: string;
  /** The flag with its argument, as in the help ('--rank <r>'). */
  spec: string;
}

export const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function parseNumber(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number, got '${value}'.`);
  return v;
}

export function parseInteger(value: string): number {
  const v = parseNumber(value);
  if (!Number.isInteger(v)) throw new InvalidArgumentError(`expected an integer, got '${value}'.`);
  return v;
}

function describe(kinds: readonly SolverKind[], field: OptionField): string {
  const def = field.defaultValue;
  const shown = field.type === 'boolean' ? '' : def !== undefined ? ` (default ${String(def)})` : '';
  const values = field.type === 'enum' && field.values ? `; one of ${field.values.join(', ')}` : '';
  return `${kinds.map((k) => k.name.toUpperCase()).join('/')}: ${field.meta.description}${values}${shown}`;
}

/** Register one flag per kind option (merged across kinds) on `command`; returns them. */
export function addKindFlags(command: Command, kinds: readonly SolverKind[]): KindFlag[] {
  const byFlag = new Map<string, KindFlag>();
  for (const kind of kinds) {
    for (const field of optionFields(kind.options)) {
      if (field.meta.sharedFlag) continue;
      const name = field.meta.flag ?? kebab(field.key);
      const flag = field.type === 'boolean' && field.defaultValue === true ? `--no-${name}` : `--${name}`;
      const long = `--${name}`;
      if (command.options.some((o) => o.long === long || o.long === `--no-${name}`)) {
        throw new Error(`solver kind ${kind.name}: option '${field.key}' collides with the run-level flag ${long} (mark it sharedFlag or give it meta.flag)`);
      }
      const existing = byFlag.get(flag);
      if (existing) {
        if (existing.fields[0].field.type !== field.type) {
          throw new Error(`solver kinds ${existing.fields[0].kind.name} and ${kind.name} declare ${flag} with different types`);
        }
        existing.fields.push({ kind, field });
      } else {
        const spec = field.type === 'boolean' ? flag : `${flag} <${field.meta.arg ?? 'value'}>`;
        byFlag.set(flag, { flag, attribute: camel(name), fields: [{ kind, field }], spec });
      }
    }
  }
  for (const f of byFlag.values()) {
    const { field } = f.fields[0];
    const kindsOf = f.fields.map((x) => x.kind);
    const option = new Option(f.spec, describe(kindsOf, field));
    if (field.type === 'number' || field.type === 'integer') {
      const single = f.fields.length === 1 ? field.schema : null;
      option.argParser((raw: string) => {
        f.raw = raw;
        const v = field.type === 'integer' ? parseInteger(raw) : parseNumber(raw);
        if (single) {
          const r = single.safeParse(v);
          if (!r.success) throw new InvalidArgumentError(`${r.error.issues[0].message}.`);
        }
        return v;
      });
    }
    command.addOption(option);
  }
  return [...byFlag.values()];
}

/**
 * The command-line spelling of a kind's option ('quadElements' → '--quad-elements', 'meshFile' →
 * '--mesh', a shared field 'n' → '--n'); an option with no flag (a library-only one) as named.
 */
export function flagOf(kind: SolverKind, key: string): string {
  const field = optionFields(kind.options).find((f) => f.key === key);
  if (!field) return key;
  return `--${field.meta.sharedFlag ? kebab(key) : (field.meta.flag ?? kebab(key))}`;
}

/** One line, exit 1 (see src/cli/main.ts). */
export class CliError extends Error {
  override name = 'CliError';
}

/**
 * The chosen kind's options from the parsed flags: only flags given on the command line (so the
 * kind's defaults apply otherwise), plus shared fields whose run-level flag was given. Refuses
 * flags of other kinds and mutually exclusive pairs, naming the flags.
 */
export function kindOptionsFromFlags(
  kind: SolverKind,
  flags: readonly KindFlag[],
  values: Record<string, unknown>,
  given: (attribute: string) => boolean,
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const names = new Map<string, string>();
  for (const f of flags) {
    const mine = f.fields.find((x) => x.kind === kind);
    if (!given(f.attribute)) {
      if (mine) names.set(mine.field.key, f.flag.replace(/^--no-/, '--'));
      continue;
    }
    if (!mine) {
      const owners = f.fields.map((x) => x.kind.name).join(', ');
      throw new CliError(`${f.flag} applies to --solver ${owners} only`);
    }
    const value = values[f.attribute];
    if (f.fields.length > 1) {
      // A flag several kinds declare is checked here, by the chosen kind's field, in the words a
      // single-kind flag gets from its argument parser.
      const r = mine.field.schema.safeParse(value);
      if (!r.success) throw new CliError(`option '${f.spec}' argument '${f.raw ?? String(value)}' is invalid. ${r.error.issues[0].message}.`);
    }
    options[mine.field.key] = value;
    names.set(mine.field.key, f.flag);
  }
  for (const field of optionFields(kind.options)) {
    if (!field.meta.sharedFlag) continue;
    names.set(field.key, `--${field.key}`);
    if (given(field.key)) options[field.key] = values[field.key];
  }
  for (const [a, b, why] of kind.exclusive ?? []) {
    if (options[a] !== undefined && options[b] !== undefined) throw new CliError(`${names.get(a) ?? a} and ${names.get(b) ?? b} are mutually exclusive (${why})`);
  }
  return options;
}
