import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestService } from '../helpers/service.js';

describe('load balancers', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start();
  });
  after(() => svc.stop());

  it('creates in PENDING_CREATE and the worker makes it ACTIVE / OFFLINE', async () => {
    const res = await svc.post('/v2.0/lbaas/loadbalancers', {
      loadbalancer: { name: 'lb1', description: 'anchor lb', vip_subnet_id: '11111111-2222-3333-4444-555555555555' },
    });
    assert.equal(res.status, 201);
    const lb = res.body.loadbalancer;
    assert.equal(lb.provisioning_status, 'PENDING_CREATE');
    assert.equal(lb.operating_status, 'OFFLINE');
    assert.equal(lb.tenant_id, 'project-a');
    assert.equal(lb.updated_at, null);
    assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-/);
    await svc.settle();
    const shown = await svc.get(`/v2/lbaas/loadbalancers/${lb.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.loadbalancer.provisioning_status, 'ACTIVE');
    assert.equal(shown.body.loadbalancer.operating_status, 'OFFLINE');
    const amps = await svc.get('/v2/octavia/amphorae');
    assert.equal(amps.status, 200);
  });

  it('answers 409 to an update while PENDING_UPDATE', async () => {
    const lb = await svc.createLoadBalancer({ name: 'busy' });
    const first = await svc.put(`/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { description: 'updated' } });
    assert.equal(first.status, 200);
    assert.equal(first.body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
    assert.equal(first.body.loadbalancer.description, 'updated');
    const second = await svc.put(`/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { description: 'again' } });
    if (second.status !== 200) {
      assert.equal(second.status, 409);
      assert.equal(second.body.faultstring, `Invalid state PENDING_UPDATE of loadbalancer resource ${lb.id}`);
    }
    await svc.settle();
  });

  it('deletes and then answers 404', async () => {
    const lb = await svc.createLoadBalancer({ name: 'gone' });
    const res = await svc.del(`/v2/lbaas/loadbalancers/${lb.id}`);
    assert.equal(res.status, 204);
    await svc.settle();
    const shown = await svc.get(`/v2/lbaas/loadbalancers/${lb.id}`);
    assert.equal(shown.status, 404);
    assert.deepEqual(shown.body, {
      faultcode: 'Client',
      faultstring: `Load Balancer ${lb.id} not found.`,
      debuginfo: null,
    });
  });

  it('refuses a load balancer without a VIP', async () => {
    const res = await svc.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: 'x' } });
    assert.equal(res.status, 400);
    assert.equal(
      res.body.faultstring,
      'Validation failure: VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.',
    );
  });
});
