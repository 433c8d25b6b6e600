import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listBody, matches } from '../../src/network/api/listing.js';
import { listenerRules } from '../../src/network/security-groups.js';

describe('network API list parameters', () => {
  const views = [
    {
      id: 'a',
      name: 'private',
      'router:external': false,
      mtu: 1500,
      subnets: ['s1'],
      fixed_ips: [{ ip_address: '127.10.0.2' }],
    },
    { id: 'b', name: 'public', 'router:external': true, mtu: 1400, subnets: [], fixed_ips: [] },
    { id: 'c', name: 'other', 'router:external': false, mtu: 1500, subnets: ['s2'], fixed_ips: [] },
  ];

  it('matches values given as text the way Neutron converts them', () => {
    assert.ok(matches(true, 'True'));
    assert.ok(!matches(false, 'true'));
    assert.ok(matches(1500, '1500'));
    assert.ok(matches(['s1', 's2'], 's2'));
    assert.ok(matches([{ ip_address: '127.10.0.2' }], 'ip_address=127.10.0.2'));
    assert.ok(!matches([{ ip_address: '127.10.0.2' }], 'ip_address=127.10.0.3'));
    assert.ok(matches(null, ''));
  });

  it('filters (repeats are OR), selects fields, sorts and pages', () => {
    const ids = (body: any) => body.networks.map((n: any) => n.id);
    assert.deepEqual(ids(listBody('networks', 'networks', views, { 'router:external': 'True' }, 'http://x')), ['b']);
    assert.deepEqual(ids(listBody('networks', 'networks', views, { name: ['public', 'other'] }, 'http://x')), [
      'b',
      'c',
    ]);
    assert.deepEqual(ids(listBody('networks', 'networks', views, { mtu: '1500', subnets: 's2' }, 'http://x')), ['c']);
    const fields = listBody('networks', 'networks', views, { fields: ['id', 'name'], name: 'public' }, 'http://x');
    assert.deepEqual(fields.networks, [{ id: 'b', name: 'public' }]);
    const sorted = listBody('networks', 'networks', views, { sort_key: 'name', sort_dir: 'desc' }, 'http://x');
    assert.deepEqual(ids(sorted), ['b', 'a', 'c']);
    const page = listBody('networks', 'networks', views, { limit: '2' }, 'http://x');
    assert.deepEqual(ids(page), ['a', 'b']);
    assert.deepEqual(page.networks_links, [{ href: 'http://x/v2.0/networks?limit=2&marker=b', rel: 'next' }]);
    assert.deepEqual(ids(listBody('networks', 'networks', views, { limit: '2', marker: 'b' }, 'http://x')), ['c']);
    assert.throws(
      () => listBody('networks', 'networks', views, { bogus: '1' }, 'http://x'),
      /invalid attribute for filtering/,
    );
    assert.throws(() => listBody('networks', 'networks', views, { limit: '-1' }, 'http://x'), /Limit/);
  });

  it('turns listeners into VIP security group rules', () => {
    const rules = listenerRules([
      { protocol: 'HTTP', protocol_port: 80, allowed_cidrs: null },
      { protocol: 'UDP', protocol_port: 53, allowed_cidrs: '["10.0.0.0/8", "192.168.0.0/16"]' },
      { protocol: 'TCP', protocol_port: 80, allowed_cidrs: null },
    ]);
    assert.deepEqual(
      rules.map((r) => [r.protocol, r.port_range_min, r.remote_ip_prefix]),
      [
        ['tcp', 80, '0.0.0.0/0'],
        ['udp', 53, '10.0.0.0/8'],
        ['udp', 53, '192.168.0.0/16'],
      ],
    );
  });
});
