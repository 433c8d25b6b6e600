import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/common/errors.js';
import { listenerChanges, newListenerRow } from '../../src/api/resources/listeners/listener-fields.js';
import {
  checkAllowedCidrs,
  checkInsertHeaders,
  checkListenerCreate,
  checkListenerUpdate,
  checkPoolProtocol,
  cidrFamily,
  l4Family,
} from '../../src/api/resources/listeners/listener-rules.js';

/** Run `fn` and return the fault it raised as [status, message]. */
function faultOf(fn: () => void): [number, string] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return [err.statusCode, err.message];
  }
  assert.fail('no fault raised');
}

describe('listener rules', () => {
  it('groups protocols into port families', () => {
    assert.deepEqual(['HTTP', 'TCP', 'HTTPS', 'TERMINATED_HTTPS', 'PROMETHEUS'].map(l4Family), [
      'TCP',
      'TCP',
      'TCP',
      'TCP',
      'TCP',
    ]);
    assert.equal(l4Family('UDP'), 'UDP');
    assert.equal(l4Family('SCTP'), 'SCTP');
  });

  it('checks pool protocols against the compatibility table', () => {
    checkPoolProtocol('TCP', 'HTTP');
    checkPoolProtocol('TERMINATED_HTTPS', 'PROXYV2');
    assert.deepEqual(
      faultOf(() => checkPoolProtocol('HTTPS', 'HTTP')),
      [400, "Validation failure: The pool protocol 'HTTP' is invalid while the listener protocol is 'HTTPS'."],
    );
    assert.equal(faultOf(() => checkPoolProtocol('UDP', 'TCP'))[0], 400);
  });

  it('reads CIDRs as Python ip_network(strict=False) does', () => {
    assert.equal(cidrFamily('10.0.0.0/8'), 4);
    assert.equal(cidrFamily('10.0.0.1'), 4);
    assert.equal(cidrFamily('2001:db8::/128'), 6);
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/8/1', 'x/8', '10.0.0.0/-1', ''])
      assert.equal(cidrFamily(bad), undefined, bad);
  });

  it('matches allowed CIDRs against any VIP family', () => {
    checkAllowedCidrs(['2001:db8::/32'], ['198.51.100.1', '2001:db8::1'], false);
    checkAllowedCidrs([], ['198.51.100.1'], true);
    assert.deepEqual(
      faultOf(() => checkAllowedCidrs(['10.0.0.0/8'], ['198.51.100.1'], true)),
      [400, 'Validation failure: Allowed CIDRs are not allowed when using custom VIP Security Groups.'],
    );
    assert.deepEqual(
      faultOf(() => checkAllowedCidrs(['::/0'], ['198.51.100.1'], false)),
      [400, "Validation failure: CIDR ::/0 IP version incompatible with all VIPs ['198.51.100.1'] IP version."],
    );
  });

  it('allows header insertion on HTTP listeners only, client certificate headers on TERMINATED_HTTPS only', () => {
    checkInsertHeaders({ 'X-Forwarded-Proto': 'true', 'X-Real-IP': 'true' }, 'HTTP', false);
    checkInsertHeaders({ 'X-SSL-Client-CN': 'true' }, 'TERMINATED_HTTPS', false);
    checkInsertHeaders({}, 'UDP', false);
    assert.deepEqual(
      faultOf(() => checkInsertHeaders({ A: 'x' }, 'HTTPS', false)),
      [400, 'insert-headers is not a valid option for a HTTPS protocol listener.'],
    );
    assert.deepEqual(
      faultOf(() => checkInsertHeaders({ A: 'x' }, 'HTTP', false)),
      [400, "dict_keys(['A']) is not a valid option for insert_headers"],
    );
    assert.deepEqual(
      faultOf(() => checkInsertHeaders({ A: 'x' }, 'HTTP', true)),
      [400, "['A'] is not a valid option for insert_headers"],
    );
    assert.match(
      faultOf(() => checkInsertHeaders({ 'X-Forwarded-For': 'x'.repeat(256) }, 'HTTP', false))[1],
      /maximum character requirement of 255$/,
    );
  });

  it('orders create checks as Octavia: headers, then TLS fitness, then certificate retrieval', () => {
    assert.deepEqual(
      faultOf(() =>
        checkListenerCreate({
          protocol: 'UDP',
          insert_headers: { 'X-Forwarded-For': 'true' },
          sni_container_refs: ['a'],
        }),
      ),
      [400, 'insert-headers is not a valid option for a UDP protocol listener.'],
    );
    assert.deepEqual(
      faultOf(() => checkListenerCreate({ protocol: 'TERMINATED_HTTPS', client_ca_tls_container_ref: 'ca' })),
      [
        400,
        'Validation failure: An SNI or default certificate container reference must be provided with a client CA container reference.',
      ],
    );
    assert.deepEqual(
      faultOf(() =>
        checkListenerCreate({
          protocol: 'TERMINATED_HTTPS',
          sni_container_refs: ['s'],
          client_authentication: 'OPTIONAL',
        }),
      ),
      [400, 'Validation failure: Client authentication setting OPTIONAL requires a client CA container reference.'],
    );
    assert.deepEqual(
      faultOf(() =>
        checkListenerCreate({ protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'd', hsts_max_age: 10 }),
      ),
      [400, "Could not retrieve certificate: ['d']"],
    );
    checkListenerCreate({ protocol: 'HTTP', client_authentication: 'NONE', sni_container_refs: [] });
  });

  it('judges an update with the stored listener', () => {
    const stored = {
      protocol: 'HTTP',
      client_ca_tls_container_ref: null,
      client_crl_container_ref: null,
      hsts_max_age: null,
    };
    checkListenerUpdate({ insert_headers: { 'X-Forwarded-For': 'true' }, client_authentication: 'NONE' }, stored);
    assert.deepEqual(
      faultOf(() =>
        checkListenerUpdate({ insert_headers: { 'X-Forwarded-For': 'true' } }, { ...stored, protocol: 'SCTP' }),
      ),
      [400, 'Validation failure: SCTP protocol listener does not support TLS or header insertion.'],
    );
    assert.deepEqual(
      faultOf(() => checkListenerUpdate({ client_crl_container_ref: 'crl' }, stored)),
      [
        400,
        'Validation failure: A client authentication CA reference is required to specify a client authentication revocation list.',
      ],
    );
    assert.deepEqual(
      faultOf(() => checkListenerUpdate({ hsts_max_age: 5 }, stored)),
      [400, 'Validation failure: The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.'],
    );
  });
});

describe('listener rows', () => {
  const ids = { id: 'l', loadBalancerId: 'lb', projectId: 'p', now: '2026-01-01T00:00:00' };

  it('fills Octavia defaults, TLS defaults only for TERMINATED_HTTPS', () => {
    const row = newListenerRow({ protocol: 'HTTP', protocol_port: 80, name: null, allowed_cidrs: [] }, ids);
    assert.equal(row.name, '');
    assert.equal(row.connection_limit, -1);
    assert.equal(row.timeout_client_data, 50000);
    assert.equal(row.timeout_tcp_inspect, 0);
    assert.equal(row.client_authentication, 'NONE');
    assert.equal(row.allowed_cidrs, null);
    assert.equal(row.sni_container_refs, '[]');
    assert.equal(row.insert_headers, '{}');
    assert.equal(row.tls_versions, null);
    const tls = newListenerRow({ protocol: 'TERMINATED_HTTPS', protocol_port: 443, tls_versions: ['TLSv1.3'] }, ids);
    assert.equal(tls.tls_versions, '["TLSv1.3"]');
    assert.equal(tls.alpn_protocols, '["h2","http/1.1","http/1.0"]');
    assert.match(tls.tls_ciphers!, /^TLS_AES_256_GCM_SHA384:/);
  });

  it('turns PUT nulls into defaults and leaves omitted fields alone', () => {
    const changes = listenerChanges(
      {
        connection_limit: null,
        timeout_member_connect: null,
        client_authentication: null,
        description: null,
        allowed_cidrs: null,
        hsts_preload: null,
        tls_versions: null,
      },
      'HTTP',
    );
    assert.deepEqual(changes, {
      description: '',
      connection_limit: -1,
      timeout_member_connect: 5000,
      client_authentication: 'NONE',
      allowed_cidrs: null,
      tls_versions: null,
      hsts_preload: false,
    });
    assert.deepEqual(
      listenerChanges({ tls_ciphers: null }, 'TERMINATED_HTTPS').tls_ciphers?.startsWith('TLS_AES_256_GCM_SHA384'),
      true,
    );
  });
});
