import { badRequest } from './neutron-error.js';

/** Reading request bodies the way Neutron checks them: known attributes only, each of its type. */

export type FieldKind =
  'string' | 'bool' | 'int' | 'id' | 'nullable-id' | 'nullable-string' | 'list' | 'object' | 'any';

/** `{"<key>": {...}}`: the object under the resource's key, or Neutron's 400. */
export function resourceBody(body: unknown, key: string): Record<string, unknown> {
  if (body === undefined || body === null) throw badRequest('Resource body required');
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('Body contains invalid data');
  const inner = (body as Record<string, unknown>)[key];
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner))
    throw badRequest(`Unable to find '${key}' in request body`);
  return inner as Record<string, unknown>;
}

const reason = (field: string, why: string) => badRequest(`Invalid input for ${field}. Reason: ${why}.`);
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** Refuse attributes outside `spec` and values of the wrong type; returns the object for chaining. */
export function checkFields(obj: Record<string, unknown>, spec: Record<string, FieldKind>): Record<string, unknown> {
  const unknown = Object.keys(obj).filter((k) => !(k in spec));
  if (unknown.length > 0) throw badRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  for (const [field, kind] of Object.entries(spec)) {
    const value = obj[field];
    if (value === undefined) continue;
    switch (kind) {
      case 'string':
      case 'nullable-string':
        if (value === null && kind === 'nullable-string') break;
        if (typeof value !== 'string') throw reason(field, `${show(value)} is not a valid string`);
        if (value.length > 255) throw reason(field, `${show(value)} exceeds maximum length of 255`);
        break;
      case 'id':
      case 'nullable-id':
        if (value === null && kind === 'nullable-id') break;
        if (typeof value !== 'string' || value === '' || value.length > 255)
          throw reason(field, `${show(value)} is not a valid UUID`);
        break;
      case 'bool':
        if (typeof value !== 'boolean' && !/^(true|false)$/i.test(String(value)))
          throw reason(field, `${show(value)} cannot be converted to boolean`);
        break;
      case 'int':
        if (!Number.isInteger(typeof value === 'string' ? Number(value) : value) || value === '')
          throw reason(field, `${show(value)} is not an integer`);
        break;
      case 'list':
        if (!Array.isArray(value)) throw reason(field, `${show(value)} is not a list`);
        break;
      case 'object':
        if (value !== null && (typeof value !== 'object' || Array.isArray(value)))
          throw reason(field, `${show(value)} is not a dictionary`);
        break;
      case 'any':
        break;
    }
  }
  return obj;
}

/** A checked boolean attribute (Neutron accepts "true"/"false" strings too), or `fallback` when absent. */
export function boolField(obj: Record<string, unknown>, field: string, fallback: boolean): boolean;
export function boolField(obj: Record<string, unknown>, field: string): boolean | undefined;
export function boolField(obj: Record<string, unknown>, field: string, fallback?: boolean): boolean | undefined {
  const value = obj[field];
  if (value === undefined) return fallback;
  return typeof value === 'boolean' ? value : String(value).toLowerCase() === 'true';
}

export function intField(obj: Record<string, unknown>, field: string): number | undefined {
  const value = obj[field];
  return value === undefined || value === null ? undefined : Number(value);
}

export function stringField(obj: Record<string, unknown>, field: string): string | undefined {
  const value = obj[field];
  return typeof value === 'string' ? value : undefined;
}
