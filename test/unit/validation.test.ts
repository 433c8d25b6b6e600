import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/common/errors.js';
import {
  bool,
  enumOf,
  int,
  ip,
  required,
  str,
  uuid,
  validateBody,
  type FieldMap,
} from '../../src/api/validation/fields.js';
import { pyRepr } from '../../src/api/validation/py-repr.js';

const FIELDS: FieldMap = {
  name: str(),
  protocol: required(enumOf(['SCTP', 'HTTPS', 'UDP', 'HTTP', 'PROMETHEUS', 'TCP', 'TERMINATED_HTTPS'])),
  protocol_port: required(int(1, 65535)),
  admin_state_up: bool(),
  loadbalancer_id: required(uuid()),
  address: ip(),
};

function faultOf(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    return { status: err.statusCode, message: err.message };
  }
  assert.fail('expected a fault');
}

const good = { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: '3bcb63eb-e15b-44c0-9b3c-4af998181520' };

describe('validateBody', () => {
  it('keeps only the keys sent, so PUT can tell omitted from null', () => {
    const clean = validateBody({ listener: { ...good, name: null } }, 'listener', 'listener_', FIELDS, true);
    assert.deepEqual(clean, { ...good, name: null });
    assert.ok(!('admin_state_up' in clean));
  });

  it('words enum, range and missing faults as Octavia does', () => {
    assert.deepEqual(
      faultOf(() => validateBody({ listener: { ...good, protocol: 'FOO' } }, 'listener', 'listener_', FIELDS, true)),
      {
        status: 400,
        message:
          "Invalid input for field/attribute protocol. Value: 'FOO'. Value should be one of: SCTP, HTTPS, UDP, HTTP, PROMETHEUS, TCP, TERMINATED_HTTPS",
      },
    );
    assert.equal(
      faultOf(() =>
        validateBody({ listener: { ...good, protocol_port: 65536 } }, 'listener', 'listener_', FIELDS, true),
      ).message,
      "Invalid input for field/attribute protocol_port. Value: '65536'. Value should be lower or equal to 65535",
    );
    assert.equal(
      faultOf(() => validateBody({ listener: { ...good, protocol_port: 0 } }, 'listener', 'listener_', FIELDS, true))
        .message,
      "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1",
    );
    const { loadbalancer_id: _, ...noLb } = good;
    assert.equal(
      faultOf(() => validateBody({ listener: noLb }, 'listener', 'listener_', FIELDS, true)).message,
      "Invalid input for field/attribute loadbalancer_id. Value: 'None'. Mandatory field missing.",
    );
  });

  it('lets PUT omit mandatory fields', () => {
    assert.deepEqual(validateBody({ listener: { name: 'x' } }, 'listener', 'listener_', FIELDS, false), { name: 'x' });
  });

  it('names unknown attributes and a missing wrapper', () => {
    assert.equal(
      faultOf(() => validateBody({ listener: { ...good, bogus: 1 } }, 'listener', 'listener_', FIELDS, true)).message,
      'Unknown attribute for argument listener_.listener: bogus',
    );
    assert.equal(
      faultOf(() => validateBody({ protocol: 'HTTP' }, 'listener', 'listener_', FIELDS, true)).message,
      'Unknown attribute for argument listener_: protocol',
    );
  });

  it('quotes the whole body for an ambiguous boolean, in Python repr', () => {
    const body = { listener: { ...good, admin_state_up: 'maybe' } };
    assert.equal(
      faultOf(() => validateBody(body, 'listener', 'listener_', FIELDS, true)).message,
      `Invalid input for field/attribute listener_. Value: '${pyRepr(body)}'. Value not an unambiguous boolean: maybe`,
    );
    assert.equal(
      validateBody({ listener: { ...good, admin_state_up: 'yes' } }, 'listener', 'listener_', FIELDS, true)
        .admin_state_up,
      true,
    );
  });

  it('checks UUIDs, IPs and string lengths', () => {
    assert.match(
      faultOf(() =>
        validateBody({ listener: { ...good, loadbalancer_id: 'not-a-uuid' } }, 'listener', 'listener_', FIELDS, true),
      ).message,
      /Value should be UUID format$/,
    );
    assert.match(
      faultOf(() =>
        validateBody({ listener: { ...good, address: '10.0.0.999' } }, 'listener', 'listener_', FIELDS, true),
      ).message,
      /Value should be IPv4 or IPv6 format$/,
    );
    assert.match(
      faultOf(() =>
        validateBody({ listener: { ...good, name: 'x'.repeat(256) } }, 'listener', 'listener_', FIELDS, true),
      ).message,
      /maximum character requirement of 255$/,
    );
    assert.equal(
      validateBody({ listener: { ...good, address: '::1' } }, 'listener', 'listener_', FIELDS, true).address,
      '::1',
    );
  });
});

describe('pyRepr', () => {
  it('prints JSON values as Python would', () => {
    assert.equal(
      pyRepr({ loadbalancer: { vip_subnet_id: 'x', admin_state_up: 'maybe', n: null, t: true, l: [1, 2.5] } }),
      "{'loadbalancer': {'vip_subnet_id': 'x', 'admin_state_up': 'maybe', 'n': None, 't': True, 'l': [1, 2.5]}}",
    );
    assert.equal(pyRepr("it's"), '"it\'s"');
  });
});
