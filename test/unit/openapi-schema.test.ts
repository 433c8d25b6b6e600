import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fieldMapSchema,
  fieldTypeSchema,
  nullable,
  wrappedBodySchema,
  type JsonSchema,
} from '../../src/api/openapi/json-schema.js';
import { bool, enumOf, int, ip, listOf, required, str, uuid, type FieldMap } from '../../src/api/validation/fields.js';

test('each field kind becomes its JSON Schema', () => {
  assert.deepEqual(fieldTypeSchema({ kind: 'string', max: 64, min: 2 }, 'x'), {
    type: 'string',
    minLength: 2,
    maxLength: 64,
  });
  assert.deepEqual(fieldTypeSchema({ kind: 'uuid' }, 'x'), { type: 'string', format: 'uuid' });
  assert.deepEqual(fieldTypeSchema({ kind: 'bool' }, 'x'), { type: 'boolean' });
  assert.deepEqual(fieldTypeSchema({ kind: 'int', min: 1, max: 65535 }, 'x'), {
    type: 'integer',
    minimum: 1,
    maximum: 65535,
  });
  assert.deepEqual(fieldTypeSchema({ kind: 'int' }, 'x'), { type: 'integer' });
  assert.deepEqual(fieldTypeSchema({ kind: 'float' }, 'x'), { type: 'number' });
  assert.deepEqual(fieldTypeSchema({ kind: 'ip' }, 'x'), {
    type: 'string',
    anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }],
  });
  assert.deepEqual(fieldTypeSchema({ kind: 'dict' }, 'x'), {
    type: 'object',
    additionalProperties: { type: 'string' },
  });
  assert.deepEqual(fieldTypeSchema({ kind: 'list', of: { kind: 'string', max: 255 } }, 'tags'), {
    type: 'array',
    items: { type: 'string', maxLength: 255 },
  });
});

test('enums keep their values and name their type when the values share one', () => {
  assert.deepEqual(fieldTypeSchema({ kind: 'enum', values: ['HTTP', 'TCP'] }, 'x'), {
    type: 'string',
    enum: ['HTTP', 'TCP'],
  });
  assert.deepEqual(fieldTypeSchema({ kind: 'enum', values: [301, 302] }, 'x'), { type: 'integer', enum: [301, 302] });
  assert.deepEqual(fieldTypeSchema({ kind: 'enum', values: ['a', 1] }, 'x'), { enum: ['a', 1] });
});

test('raw fields take the schema the resolver gives for their name, or any value', () => {
  const resolver = (name: string): JsonSchema | undefined =>
    name === 'members' ? { type: 'array', items: { $ref: '#/components/schemas/M' } } : undefined;
  assert.deepEqual(fieldTypeSchema({ kind: 'raw' }, 'other', resolver), {});
  assert.deepEqual(fieldTypeSchema({ kind: 'list', of: { kind: 'raw' } }, 'members', resolver), {
    type: 'array',
    items: { $ref: '#/components/schemas/M' },
  });
  assert.deepEqual(fieldTypeSchema({ kind: 'list', of: { kind: 'raw' } }, 'other', resolver), { type: 'array' });
});

test('nullable adds null to the type and to an enum, or wraps what has no single type', () => {
  assert.deepEqual(nullable({ type: 'string', maxLength: 3 }), { type: ['string', 'null'], maxLength: 3 });
  assert.deepEqual(nullable({ type: 'string', enum: ['A'] }), { type: ['string', 'null'], enum: ['A', null] });
  assert.deepEqual(nullable({ $ref: '#/x' }), { anyOf: [{ $ref: '#/x' }, { type: 'null' }] });
  assert.deepEqual(nullable({}), {});
});

const FIELDS: FieldMap = {
  name: str(),
  protocol: required(enumOf(['HTTP', 'TCP'])),
  protocol_port: required(int(1, 65535)),
  admin_state_up: bool(),
  subnet_id: uuid(),
  address: ip(),
  tags: listOf({ kind: 'string', max: 255 }),
  vip: {
    type: { kind: 'object', fields: { subnet_id: required(uuid()), ip_address: ip() } },
  },
};

test('a FieldMap on POST: mandatory fields are required and not nullable, the rest may be null', () => {
  const schema = fieldMapSchema(FIELDS, { enforceRequired: true });
  assert.equal(schema.type, 'object');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required, ['protocol', 'protocol_port']);
  const props = schema.properties as Record<string, JsonSchema>;
  assert.deepEqual(Object.keys(props), Object.keys(FIELDS));
  assert.deepEqual(props.protocol, { type: 'string', enum: ['HTTP', 'TCP'] });
  assert.deepEqual(props.protocol_port, { type: 'integer', minimum: 1, maximum: 65535 });
  assert.deepEqual(props.name, { type: ['string', 'null'], maxLength: 255 });
  assert.deepEqual(props.admin_state_up, { type: ['boolean', 'null'] });
});

test('a FieldMap on PUT requires nothing, but nested objects still check their mandatory fields', () => {
  const schema = fieldMapSchema(FIELDS, { enforceRequired: false });
  assert.equal(schema.required, undefined);
  const props = schema.properties as Record<string, JsonSchema>;
  assert.deepEqual(props.protocol, { type: ['string', 'null'], enum: ['HTTP', 'TCP', null] });
  const vip = props.vip as JsonSchema;
  assert.deepEqual(vip.type, ['object', 'null']);
  assert.deepEqual(vip.required, ['subnet_id']);
  assert.equal(vip.additionalProperties, false);
  assert.deepEqual((vip.properties as Record<string, JsonSchema>).subnet_id, { type: 'string', format: 'uuid' });
});

test('a wrapped body puts the object under its resource key, which is required', () => {
  const inner = fieldMapSchema({ name: str() }, { enforceRequired: true });
  assert.deepEqual(wrappedBodySchema('loadbalancer', inner), {
    type: 'object',
    properties: { loadbalancer: inner },
    required: ['loadbalancer'],
    additionalProperties: false,
  });
});
