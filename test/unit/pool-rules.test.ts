import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/common/errors.js';
import { newPoolRow, poolChanges } from '../../src/api/resources/pools/pool-fields.js';
import {
  checkPoolCreate,
  checkPoolUpdate,
  resolveSessionPersistence,
} from '../../src/api/resources/pools/pool-rules.js';
import { checkSessionPersistence } from '../../src/api/validation/session-persistence.js';
import type { PoolRow } from '../../src/db/schema.js';

function faultOf(fn: () => void): [number, string] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return [err.statusCode, err.message];
  }
  assert.fail('no fault raised');
}

const ids = { id: 'p', loadBalancerId: 'lb', projectId: 'proj', now: '2026-01-01T00:00:00' };
const basePool = (over: Partial<PoolRow> = {}): PoolRow => ({
  ...newPoolRow({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }, null, ids),
  ...over,
});

describe('session persistence rules', () => {
  it('accepts what each protocol allows', () => {
    checkSessionPersistence({ type: 'SOURCE_IP' }, 'HTTP');
    checkSessionPersistence({ type: 'HTTP_COOKIE' }, 'TCP');
    checkSessionPersistence({ type: 'APP_COOKIE', cookie_name: 'JSESSIONID' }, 'HTTP');
    checkSessionPersistence(
      { type: 'SOURCE_IP', persistence_timeout: 30, persistence_granularity: '255.255.0.0' },
      'SCTP',
    );
    // Zero is "not given", as in Python.
    checkSessionPersistence({ type: 'SOURCE_IP', persistence_timeout: 0 }, 'HTTP');
  });

  it('refuses cookie names Octavia refuses', () => {
    for (const name of ['a b', 'a;b', 'a,b', 'a=b', 'a"b', 'a/b', 'a{b', 'é€'])
      assert.deepEqual(
        faultOf(() => checkSessionPersistence({ type: 'APP_COOKIE', cookie_name: name }, 'HTTP')),
        [400, 'Validation failure: Supplied "cookie_name" is invalid.'],
        name,
      );
  });

  it('inherits the stored type on update and drops the cookie name off APP_COOKIE', () => {
    const stored = { type: 'APP_COOKIE', cookie_name: 'A', persistence_timeout: null, persistence_granularity: null };
    const body = { session_persistence: { cookie_name: 'B' } };
    assert.deepEqual(resolveSessionPersistence(body, { pool: body }, 'HTTP', stored, false), {
      ...stored,
      cookie_name: 'B',
    });
    const toHttp = { session_persistence: { type: 'HTTP_COOKIE' } };
    assert.deepEqual(resolveSessionPersistence(toHttp, { pool: toHttp }, 'HTTP', stored, false), {
      ...stored,
      type: 'HTTP_COOKIE',
      cookie_name: null,
    });
    assert.equal(resolveSessionPersistence({}, {}, 'HTTP', stored, false), undefined);
    assert.equal(resolveSessionPersistence({ session_persistence: null }, {}, 'HTTP', stored, false), null);
    assert.deepEqual(
      faultOf(() => resolveSessionPersistence(body, { pool: body }, 'HTTP', null, false)),
      [400, 'Validation failure: Invalid session_persistence provided.'],
    );
  });
});

describe('pool TLS rules and rows', () => {
  it('needs a CA for a CRL, and can not drop the CA while a CRL is stored', () => {
    assert.equal(
      faultOf(() => checkPoolCreate({ crl_container_ref: 'crl' }))[1],
      'Validation failure: A CA certificate reference is required to specify a revocation list.',
    );
    const withBoth = basePool({ ca_tls_container_ref: 'ca', crl_container_ref: 'crl' });
    assert.deepEqual(
      faultOf(() => checkPoolUpdate({ ca_tls_container_ref: null }, withBoth)),
      [400, 'Validation failure: A CA reference cannot be removed when a certificate revocation list is present.'],
    );
    checkPoolUpdate({ name: 'x' }, basePool());
  });

  it('fills TLS option defaults only for TLS-enabled pools', () => {
    const plain = basePool();
    assert.equal(plain.tls_ciphers, null);
    assert.equal(plain.tls_versions, null);
    const tls = newPoolRow(
      { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tls_enabled: true, alpn_protocols: ['h2'] },
      null,
      ids,
    );
    assert.equal(tls.tls_versions, '["TLSv1.2","TLSv1.3"]');
    assert.equal(tls.alpn_protocols, '["h2"]');
  });

  it('applies PUT semantics: nulls reset, TLS turned on gets defaults, stored TLS options survive', () => {
    const changes = poolChanges(
      { name: null, admin_state_up: null, tls_enabled: true },
      basePool({ alpn_protocols: '["h2"]' }),
      null,
    );
    assert.equal(changes.name, '');
    assert.equal(changes.admin_state_up, false);
    assert.equal(changes.tls_enabled, true);
    assert.equal(changes.tls_versions, '["TLSv1.2","TLSv1.3"]');
    assert.equal(changes.alpn_protocols, '["h2"]');
    const reset = poolChanges(
      { tls_versions: null },
      basePool({ tls_enabled: true, tls_versions: '["TLSv1.3"]' }),
      null,
    );
    assert.equal(reset.tls_versions, '["TLSv1.2","TLSv1.3"]');
    assert.equal('session_persistence' in poolChanges({}, basePool(), null), false);
  });
});
