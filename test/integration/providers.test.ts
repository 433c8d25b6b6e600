import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestService } from '../helpers/service.js';

const TOPOLOGY_DESCRIPTION =
  'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora per load balancer.';

describe('providers', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start();
  });
  after(() => svc.stop());

  it('lists the enabled providers without a links key', async () => {
    const res = await svc.get('/v2/lbaas/providers');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      providers: [
        { name: 'amphora', description: 'The Octavia Amphora driver.' },
        { name: 'octavia', description: 'Deprecated alias of the Octavia Amphora driver.' },
      ],
    });
  });

  it('honours fields on the provider list, on every root spelling', async () => {
    const res = await svc.get('/v2.0/providers.json?fields=name');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { providers: [{ name: 'amphora' }, { name: 'octavia' }] });
  });

  it('answers the flavor capabilities of the amphora provider as Octavia does', async () => {
    const res = await svc.get('/v2/lbaas/providers/amphora/flavor_capabilities');
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body), ['flavor_capabilities']);
    assert.deepEqual(res.body.flavor_capabilities, [
      { name: 'loadbalancer_topology', description: TOPOLOGY_DESCRIPTION },
      { name: 'compute_flavor', description: 'The compute driver flavor ID.' },
      { name: 'amp_image_tag', description: 'The amphora image tag.' },
    ]);
    const alias = await svc.get('/v2/lbaas/providers/octavia/flavor_capabilities');
    assert.deepEqual(alias.body, res.body);
  });

  it('filters capabilities by name and description and keeps only the requested fields', async () => {
    const byName = await svc.get('/v2/lbaas/providers/amphora/flavor_capabilities?name=compute_flavor');
    assert.deepEqual(byName.body, {
      flavor_capabilities: [{ name: 'compute_flavor', description: 'The compute driver flavor ID.' }],
    });
    const byDescription = await svc.get(
      `/v2/lbaas/providers/amphora/flavor_capabilities?description=${encodeURIComponent('The amphora image tag.')}&fields=name`,
    );
    assert.deepEqual(byDescription.body, { flavor_capabilities: [{ name: 'amp_image_tag' }] });
    const none = await svc.get('/v2/lbaas/providers/amphora/flavor_capabilities?name=bogus');
    assert.deepEqual(none.body, { flavor_capabilities: [] });
  });

  it('answers the availability zone capabilities', async () => {
    const res = await svc.get('/v2/lbaas/providers/amphora/availability_zone_capabilities?fields=name');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      availability_zone_capabilities: [
        { name: 'compute_zone' },
        { name: 'volume_zone' },
        { name: 'management_network' },
        { name: 'valid_vip_networks' },
      ],
    });
  });

  it('refuses a provider that is not enabled with 400 (98_bad_provider)', async () => {
    for (const kind of ['flavor_capabilities', 'availability_zone_capabilities']) {
      const res = await svc.get(`/v2/lbaas/providers/nope/${kind}`);
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        faultcode: 'Client',
        faultstring: "Provider 'nope' is not enabled.",
        debuginfo: null,
      });
    }
    const noop = await svc.get('/v2/lbaas/providers/noop_driver/flavor_capabilities');
    assert.equal(noop.status, 400);
    assert.equal(noop.body.faultstring, "Provider 'noop_driver' is not enabled.");
  });
});
