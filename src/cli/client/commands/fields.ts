import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Session } from '../auth/session.js';
import { findId } from '../resolve.js';
import type { ResourceKind } from '../resources.js';
import { UsageError } from '../runtime.js';

/** How a flag's text becomes a body (or query) value. */
export type FieldType =
  | { kind: 'string' }
  | { kind: 'int' }
  | { kind: 'float' }
  /** 'None' (or null, void) clears the value: sent as null. */
  | { kind: 'nullable' }
  /** Case-insensitive, sent upper-case. */
  | { kind: 'choice'; choices: readonly string[] }
  /** key=value,key=value -> an object. */
  | { kind: 'kv' }
  /** Repeatable flag -> a list. */
  | { kind: 'list' }
  /** A flag taking any number of values (argparse nargs='*'). */
  | { kind: 'variadic' }
  /** A flag without value that sends a fixed value (--enable -> admin_state_up: true). */
  | { kind: 'const'; value: unknown }
  /** A name or ID resolved to an ID; `parentField` names the option holding the parent's id. */
  | { kind: 'ref'; resource: ResourceKind };

export interface FieldOption {
  flags: string;
  field: string;
  type: FieldType;
  help: string;
  required?: boolean;
  /** Attribute names of options it cannot be combined with. */
  conflicts?: string[];
}

export const str = (flags: string, field: string, help: string, extra: Partial<FieldOption> = {}): FieldOption => ({
  flags,
  field,
  help,
  type: { kind: 'string' },
  ...extra,
});
export const int = (flags: string, field: string, help: string, extra: Partial<FieldOption> = {}): FieldOption => ({
  flags,
  field,
  help,
  type: { kind: 'int' },
  ...extra,
});
export const choice = (
  flags: string,
  field: string,
  choices: readonly string[],
  help: string,
  extra: Partial<FieldOption> = {},
): FieldOption => ({
  flags,
  field,
  help: `${help} One of: ${choices.join(', ')}.`,
  type: { kind: 'choice', choices },
  ...extra,
});
export const ref = (
  flags: string,
  field: string,
  resource: ResourceKind,
  help: string,
  extra: Partial<FieldOption> = {},
): FieldOption => ({
  flags,
  field,
  help,
  type: { kind: 'ref', resource },
  ...extra,
});
export const typed = (
  flags: string,
  field: string,
  type: FieldType,
  help: string,
  extra: Partial<FieldOption> = {},
): FieldOption => ({
  flags,
  field,
  help,
  type,
  ...extra,
});

/** --enable / --disable for a boolean field (admin_state_up, enabled, tls_enabled, backup). */
export function toggle(onFlag: string, offFlag: string, field: string, onHelp: string, offHelp: string): FieldOption[] {
  const attr = (flag: string) => new Option(flag).attributeName();
  return [
    { flags: onFlag, field, help: onHelp, type: { kind: 'const', value: true }, conflicts: [attr(offFlag)] },
    { flags: offFlag, field, help: offHelp, type: { kind: 'const', value: false } },
  ];
}

export const enableDisable = (noun: string, field = 'admin_state_up') =>
  toggle('--enable', '--disable', field, `Enable ${noun}.`, `Disable ${noun}.`);

export const listEnableDisable = (nouns: string, field = 'admin_state_up') =>
  toggle('--enable', '--disable', field, `List enabled ${nouns}.`, `List disabled ${nouns}.`);

function parseInt10(value: string): number {
  if (!/^[-+]?\d+$/.test(value.trim())) throw new InvalidArgumentError('Not an integer.');
  return Number(value);
}

function parseFloatStrict(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('Not a number.');
  return n;
}

function parseChoice(choices: readonly string[]) {
  return (value: string) => {
    const upper = value.toUpperCase();
    if (!choices.includes(upper)) throw new InvalidArgumentError(`Invalid choice: choose from ${choices.join(', ')}.`);
    return upper;
  };
}

/** "a=b,c=d" -> {a: "b", c: "d"}. */
export function parseKeyValues(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`Expected key=value pairs separated by commas, got '${part}'.`);
    out[part.slice(0, at)] = part.slice(at + 1);
  }
  return out;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The commander option of a field: parsers and checks at parse time, so bad values are usage errors. */
export function optionOf(field: FieldOption): Option {
  const option = new Option(field.flags, field.help);
  switch (field.type.kind) {
    case 'int':
      option.argParser(parseInt10);
      break;
    case 'float':
      option.argParser(parseFloatStrict);
      break;
    case 'choice':
      option.argParser(parseChoice(field.type.choices));
      break;
    case 'kv':
      option.argParser(parseKeyValues);
      break;
    case 'list':
      option.argParser(collect);
      break;
    default:
      break;
  }
  if (field.conflicts) option.conflicts(field.conflicts);
  if (field.required) option.makeOptionMandatory(true);
  return option;
}

export function addFieldOptions(cmd: Command, fields: FieldOption[]): void {
  for (const field of fields) cmd.addOption(optionOf(field));
}

const attributeOf = (field: FieldOption) => new Option(field.flags).attributeName();

/** The body (or query) the given flags make; references are resolved through the session. */
export async function fieldValues(
  fields: FieldOption[],
  opts: Record<string, unknown>,
  session: () => Promise<Session>,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = opts[attributeOf(field)];
    if (raw === undefined) {
      if (field.required) throw new UsageError(`the following argument is required: ${field.flags.split(/[ ,]/)[0]}`);
      continue;
    }
    out[field.field] = await convert(field, raw, session);
  }
  return out;
}

async function convert(field: FieldOption, raw: unknown, session: () => Promise<Session>): Promise<unknown> {
  const type = field.type;
  switch (type.kind) {
    case 'const':
      return type.value;
    case 'nullable':
      return typeof raw === 'string' && ['none', 'null', 'void'].includes(raw.toLowerCase()) ? null : raw;
    case 'variadic':
      return Array.isArray(raw) ? raw : raw === true ? [] : [raw];
    case 'ref':
      return findId(await session(), type.resource, String(raw));
    default:
      return raw;
  }
}

/** Whether any of the fields was given on the command line. */
export function anyGiven(fields: FieldOption[], opts: Record<string, unknown>): boolean {
  return fields.some((f) => opts[attributeOf(f)] !== undefined);
}
