import type { FieldMap, FieldType } from '../validation/fields.js';

/**
 * The request body checks of `validation/fields.ts`, restated as JSON Schema (the 2020-12 dialect
 * OpenAPI 3.1 uses), so the published document says what `validateBody` actually accepts.
 */

/** A JSON Schema object; loose on purpose, the document is plain JSON. */
export type JsonSchema = { [key: string]: unknown };

/**
 * What a `raw` field (one the route checks by itself: graph children, session persistence) looks like,
 * by field name; undefined leaves it as "any value".
 */
export type RawFieldSchemas = (name: string) => JsonSchema | undefined;

export interface FieldMapOptions {
  /** POST: mandatory fields are `required`. PUT (false): any field may be left out. */
  enforceRequired: boolean;
  rawSchemas?: RawFieldSchemas;
}

/** The JSON type of every enum value, when they share one (Octavia's enums are all strings or all ints). */
function enumType(values: readonly (string | number)[]): string | undefined {
  if (values.length === 0) return undefined;
  if (values.every((v) => typeof v === 'string')) return 'string';
  if (values.every((v) => Number.isInteger(v))) return 'integer';
  if (values.every((v) => typeof v === 'number')) return 'number';
  return undefined;
}

/** The schema of one field type; `name` picks the schema of a `raw` field. */
export function fieldTypeSchema(type: FieldType, name: string, raw?: RawFieldSchemas): JsonSchema {
  switch (type.kind) {
    case 'string': {
      const schema: JsonSchema = { type: 'string' };
      if (type.min !== undefined) schema.minLength = type.min;
      if (type.max !== undefined) schema.maxLength = type.max;
      return schema;
    }
    case 'uuid':
      return { type: 'string', format: 'uuid' };
    case 'bool':
      return { type: 'boolean' };
    case 'int': {
      const schema: JsonSchema = { type: 'integer' };
      if (type.min !== undefined) schema.minimum = type.min;
      if (type.max !== undefined) schema.maximum = type.max;
      return schema;
    }
    case 'float':
      return { type: 'number' };
    case 'enum': {
      const kind = enumType(type.values);
      return kind ? { type: kind, enum: [...type.values] } : { enum: [...type.values] };
    }
    case 'ip':
      return { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] };
    case 'list':
      // A raw list names its items by the list's own name (`members`, `rules`), so the lookup is the list's.
      if (type.of.kind === 'raw') return raw?.(name) ?? { type: 'array' };
      return { type: 'array', items: fieldTypeSchema(type.of, name, raw) };
    case 'dict':
      // `validateBody` accepts only string values in a dict (e.g. insert_headers).
      return { type: 'object', additionalProperties: { type: 'string' } };
    case 'object':
      // Nested objects check their mandatory fields even on PUT (`checkObject(..., true)`).
      return fieldMapSchema(type.fields, { enforceRequired: true, rawSchemas: raw });
    case 'raw':
      return raw?.(name) ?? {};
  }
}

/** Allow `null` next to a schema: a non-mandatory field sent as null clears it or resets it to its default. */
export function nullable(schema: JsonSchema): JsonSchema {
  if (Object.keys(schema).length === 0) return schema;
  if (typeof schema.type === 'string' && schema.anyOf === undefined && schema.$ref === undefined) {
    const out: JsonSchema = { ...schema, type: [schema.type, 'null'] };
    if (Array.isArray(schema.enum)) out.enum = [...schema.enum, null];
    return out;
  }
  return { anyOf: [schema, { type: 'null' }] };
}

/** An object schema of a FieldMap: unknown attributes are refused (400), as `checkObject` does. */
export function fieldMapSchema(fields: FieldMap, options: FieldMapOptions): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    const schema = fieldTypeSchema(field.type, name, options.rawSchemas);
    const mandatory = field.required === true && options.enforceRequired;
    if (mandatory) required.push(name);
    // A mandatory field sent as null is "Mandatory field missing." (POST); elsewhere null is accepted.
    properties[name] = mandatory ? schema : nullable(schema);
  }
  const out: JsonSchema = { type: 'object', properties, additionalProperties: false };
  if (required.length > 0) out.required = required;
  return out;
}

/** A request body `{"<rootKey>": {...}}`: the wrapper Octavia puts around every resource. */
export function wrappedBodySchema(rootKey: string, inner: JsonSchema): JsonSchema {
  return { type: 'object', properties: { [rootKey]: inner }, required: [rootKey], additionalProperties: false };
}
