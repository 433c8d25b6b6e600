import { isIP } from 'node:net';
import { badRequest } from '../../common/errors.js';
import { isUuid } from '../../common/ids.js';
import { pyRepr, pyStr } from './py-repr.js';

/**
 * Declarative field types for request bodies, checked with Octavia's own fault strings
 * ("Invalid input for field/attribute X. Value: 'V'. ..."), which clients and tests match on.
 */
export type FieldType =
  | { kind: 'string'; max?: number; min?: number }
  | { kind: 'uuid' }
  | { kind: 'bool' }
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'float' }
  | { kind: 'enum'; values: readonly (string | number)[] }
  | { kind: 'ip' }
  | { kind: 'list'; of: FieldType }
  | { kind: 'dict' }
  | { kind: 'object'; fields: FieldMap }
  /** Passed through unchecked; the resource validates it (graph children). */
  | { kind: 'raw' };

export interface Field {
  type: FieldType;
  /** Octavia's "Mandatory field missing." when absent or null. */
  required?: boolean;
}

export type FieldMap = Record<string, Field>;

export const str = (max = 255): Field => ({ type: { kind: 'string', max } });
export const uuid = (): Field => ({ type: { kind: 'uuid' } });
export const bool = (): Field => ({ type: { kind: 'bool' } });
export const int = (min?: number, max?: number): Field => ({ type: { kind: 'int', min, max } });
export const enumOf = (values: readonly (string | number)[]): Field => ({ type: { kind: 'enum', values } });
export const ip = (): Field => ({ type: { kind: 'ip' } });
export const listOf = (of: FieldType): Field => ({ type: { kind: 'list', of } });
export const required = (f: Field): Field => ({ ...f, required: true });

/** A validated body: only the keys the client sent (omitted ≠ null, which PUT needs). */
export type Clean = Record<string, unknown>;

const TRUE_WORDS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE_WORDS = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

function invalid(field: string, value: unknown, why: string): never {
  throw badRequest(`Invalid input for field/attribute ${field}. Value: '${pyStr(value)}'. ${why}`);
}

function wrongType(field: string, value: unknown, expected: string): never {
  const got =
    value === null
      ? 'NoneType'
      : Array.isArray(value)
        ? 'list'
        : typeof value === 'object'
          ? 'dict'
          : typeof value === 'number'
            ? Number.isInteger(value)
              ? 'int'
              : 'float'
            : typeof value === 'boolean'
              ? 'bool'
              : 'str';
  invalid(field, value, `Wrong type. Expected '<class '${expected}'>', got '<class '${got}'>'`);
}

interface Ctx {
  /** Name of the whole-body argument, used by Octavia's boolean fault string. */
  argName: string;
  /** The whole body, quoted by that fault string. */
  body: unknown;
}

function checkValue(name: string, type: FieldType, value: unknown, ctx: Ctx, path: string): unknown {
  switch (type.kind) {
    case 'raw':
      return value;
    case 'string': {
      if (typeof value !== 'string') wrongType(name, value, 'str');
      if (type.max !== undefined && value.length > type.max)
        invalid(name, value, `Value should have a maximum character requirement of ${type.max}`);
      if (type.min !== undefined && value.length < type.min)
        invalid(name, value, `Value should have a minimum character requirement of ${type.min}`);
      return value;
    }
    case 'uuid': {
      if (typeof value !== 'string' || !isUuid(value)) invalid(name, value, 'Value should be UUID format');
      return normalizeUuid(value);
    }
    case 'bool': {
      if (typeof value === 'boolean') return value;
      const word = typeof value === 'string' || typeof value === 'number' ? String(value).toLowerCase() : undefined;
      if (word !== undefined && TRUE_WORDS.has(word)) return true;
      if (word !== undefined && FALSE_WORDS.has(word)) return false;
      throw badRequest(
        `Invalid input for field/attribute ${ctx.argName}. Value: '${pyRepr(ctx.body)}'. Value not an unambiguous boolean: ${pyStr(value)}`,
      );
    }
    case 'int': {
      let n: number;
      if (typeof value === 'number' && Number.isInteger(value)) n = value;
      else if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) n = Number(value);
      else wrongType(name, value, 'int');
      if (!Number.isSafeInteger(n)) invalid(name, value, 'Value is out of range');
      if (type.min !== undefined && n < type.min)
        invalid(name, value, `Value should be greater or equal to ${type.min}`);
      if (type.max !== undefined && n > type.max) invalid(name, value, `Value should be lower or equal to ${type.max}`);
      return n;
    }
    case 'float': {
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      wrongType(name, value, 'float');
      break;
    }
    case 'enum': {
      if (!type.values.includes(value as string | number))
        invalid(name, value, `Value should be one of: ${type.values.join(', ')}`);
      return value;
    }
    case 'ip': {
      if (typeof value !== 'string' || isIP(value) === 0) invalid(name, value, 'Value should be IPv4 or IPv6 format');
      return value;
    }
    case 'list': {
      if (!Array.isArray(value)) wrongType(name, value, 'list');
      return value.map((item) => checkValue(name, type.of, item, ctx, path));
    }
    case 'dict': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) wrongType(name, value, 'dict');
      for (const v of Object.values(value)) if (typeof v !== 'string') wrongType(name, v, 'str');
      return value;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) wrongType(name, value, 'dict');
      return checkObject(value as Record<string, unknown>, type.fields, `${path}.${name}`, ctx, true);
    }
  }
  return value;
}

function checkObject(
  obj: Record<string, unknown>,
  fields: FieldMap,
  path: string,
  ctx: Ctx,
  enforceRequired: boolean,
): Clean {
  const unknown = Object.keys(obj).filter((k) => !(k in fields));
  if (unknown.length > 0) throw badRequest(`Unknown attribute for argument ${path}: ${unknown.join(', ')}`);
  const out: Clean = {};
  for (const [name, field] of Object.entries(fields)) {
    const present = Object.prototype.hasOwnProperty.call(obj, name);
    const value = obj[name];
    if (value === null || value === undefined) {
      if (field.required && enforceRequired) invalid(name, null, 'Mandatory field missing.');
      if (present) out[name] = null;
      continue;
    }
    out[name] = checkValue(name, field.type, value, ctx, path);
  }
  return out;
}

export function normalizeUuid(value: string): string {
  const hex = value.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Check a request body of the form {rootKey: {...}} against `fields`.
 * `argName` is the argument name Octavia's fault strings use (e.g. `load_balancer`, `listener_`).
 * With `enforceRequired` false (PUT), mandatory fields may be omitted.
 */
export function validateBody(
  body: unknown,
  rootKey: string,
  argName: string,
  fields: FieldMap,
  enforceRequired: boolean,
): Clean {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest(`Invalid input for field/attribute ${rootKey}. Value: '${pyStr(body)}'. Mandatory field missing.`);
  const root = body as Record<string, unknown>;
  const unknownRoot = Object.keys(root).filter((k) => k !== rootKey);
  if (unknownRoot.length > 0) throw badRequest(`Unknown attribute for argument ${argName}: ${unknownRoot.join(', ')}`);
  const inner = root[rootKey];
  if (inner === undefined || inner === null)
    throw badRequest(`Invalid input for field/attribute ${rootKey}. Value: 'None'. Mandatory field missing.`);
  if (typeof inner !== 'object' || Array.isArray(inner)) wrongType(rootKey, inner, 'dict');
  return checkObject(
    inner as Record<string, unknown>,
    fields,
    `${argName}.${rootKey}`,
    { argName, body },
    enforceRequired,
  );
}

/** Check a nested object (graph children) with the same rules as a body's inner object. */
export function validateNested(
  obj: unknown,
  name: string,
  path: string,
  fields: FieldMap,
  argName: string,
  body: unknown,
): Clean {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) wrongType(name, obj, 'dict');
  return checkObject(obj as Record<string, unknown>, fields, path, { argName, body }, true);
}
