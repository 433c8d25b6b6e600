import { badRequest } from '../keystone-errors.js';

/** Checks of admin API bodies, `{"<entity>": {...}}`, with Keystone's 400 for anything malformed. */

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const MAX_NAME = 255;
const MAX_TEXT = 65535;

export function entityBody(body: unknown, key: string): Obj {
  const entity = isObject(body) ? body[key] : undefined;
  if (!isObject(entity))
    throw badRequest(`Invalid input for field '${key}': the request body must hold a '${key}' object.`);
  return entity;
}

/** An optional string field; `null` passes when `nullable`. */
export function optionalString(obj: Obj, key: string, opts: { max?: number; nullable?: boolean } = {}) {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (value === null && opts.nullable) return null;
  const max = opts.max ?? MAX_TEXT;
  if (typeof value !== 'string' || value.length > max || value.includes('\u0000')) {
    throw badRequest(`Invalid input for field '${key}': must be a string of at most ${max} characters.`);
  }
  return value;
}

/** A name: a non-blank string of at most 255 characters. */
export function nameField(obj: Obj, required: boolean): string | undefined {
  const name = optionalString(obj, 'name', { max: MAX_NAME });
  if (name === undefined || name === null) {
    if (required) throw badRequest("Invalid input for field 'name': 'name' is a required property.");
    return undefined;
  }
  if (name.trim() === '') throw badRequest("Invalid input for field 'name': must not be blank.");
  return name;
}

export function optionalBool(obj: Obj, key: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw badRequest(`Invalid input for field '${key}': must be a boolean.`);
  return value;
}

/** True when a database error is a unique or primary key violation (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | undefined;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
