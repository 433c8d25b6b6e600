import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { poolRow } from '../helpers/rows.js';
import { TestService } from '../helpers/service.js';

const SUBNET = '11111111-2222-3333-4444-555555555555';

/** Bad requests to the load balancer API and the faults a real Octavia 11 answered to them. */
describe('load balancer faults match Octavia', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start();
  });
  after(() => svc.stop());

  const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });

  async function expectFault(
    method: string,
    path: string,
    body: unknown,
    status: number,
    faultstring: string,
    headers?: Record<string, string>,
  ) {
    const before = await svc.get('/v2/lbaas/loadbalancers');
    const res = await svc.request(method, path, body, headers);
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.deepEqual(res.body, fault(faultstring));
    const afterList = await svc.get('/v2/lbaas/loadbalancers');
    assert.deepEqual(afterList.body, before.body, 'a refused request changed nothing');
  }

  it('unknown attribute (44) and missing wrapper (54)', async () => {
    await expectFault(
      'POST',
      '/v2/lbaas/loadbalancers',
      { loadbalancer: { vip_subnet_id: SUBNET, bogus: 1 } },
      400,
      'Unknown attribute for argument load_balancer.loadbalancer: bogus',
    );
    await expectFault(
      'POST',
      '/v2/lbaas/loadbalancers',
      { vip_subnet_id: SUBNET },
      400,
      'Unknown attribute for argument load_balancer: vip_subnet_id',
    );
  });

  it('bad UUID (45), no VIP (48), bad boolean (67), long name (71), no project (72), bad provider (98)', async () => {
    await expectFault(
      'POST',
      '/v2/lbaas/loadbalancers',
      { loadbalancer: { vip_subnet_id: 'not-a-uuid' } },
      400,
      "Invalid input for field/attribute vip_subnet_id. Value: 'not-a-uuid'. Value should be UUID format",
    );
    await expectFault(
      'POST',
      '/v2/lbaas/loadbalancers',
      { loadbalancer: { name: 'x' } },
      400,
      'Validation failure: VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.',
    );
    await expectFault(
      'POST',
      '/v2/lbaas/loadbalancers',
      { loadbalancer: { vip_subnet_id: SUBNET, admin_state_up: 'maybe' } },
      400,
      `Invalid input for field/attribute load_balancer. Value: '{'loadbalancer': {'vip_subnet_id': '${SUBNET}', 'admin_state_up': 'maybe'}}'. Value not an unambiguous boolean: maybe`,
    );
    const long = 'x'.repeat(256);
    await expectFault(
      'POST',
      '/v2/lbaas/loadbalancers',
      { loadbalancer: { vip_subnet_id: SUBNET, name: long } },
      400,
      `Invalid input for field/attribute name. Value: '${long}'. Value should have a maximum character requirement of 255`,
    );
    await expectFault(
      'POST',
      '/v2/lbaas/loadbalancers',
      { loadbalancer: { vip_subnet_id: SUBNET } },
      400,
      'Validation failure: Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.',
      { 'x-project-id': '' },
    );
    await expectFault(
      'POST',
      '/v2/lbaas/loadbalancers',
      { loadbalancer: { vip_subnet_id: SUBNET, provider: 'nope' } },
      400,
      "Provider 'nope' is not enabled.",
    );
  });

  it('malformed JSON (53) and a body over the limit', async () => {
    await expectFault(
      'POST',
      '/v2/lbaas/loadbalancers',
      '{"loadbalancer": ',
      400,
      'Request is not in valid JSON format',
    );
    const huge = JSON.stringify({ loadbalancer: { vip_subnet_id: SUBNET, description: 'x'.repeat(2 * 1024 * 1024) } });
    const res = await svc.request('POST', '/v2/lbaas/loadbalancers', huge);
    assert.equal(res.status, 413);
    assert.equal(res.body.faultcode, 'Client');
  });

  it('not found for unknown and malformed ids (46, 47)', async () => {
    await expectFault(
      'GET',
      '/v2/lbaas/loadbalancers/00000000-0000-0000-0000-000000000000',
      undefined,
      404,
      'Load Balancer 00000000-0000-0000-0000-000000000000 not found.',
    );
    await expectFault(
      'GET',
      '/v2/lbaas/loadbalancers/not-a-uuid',
      undefined,
      404,
      'Load Balancer not-a-uuid not found.',
    );
  });

  it('answers 409 while PENDING (61, 64) and keeps the pending change', async () => {
    const lb = await svc.createLoadBalancer({ name: 'race' });
    // Hold the load balancer in PENDING_UPDATE by queueing the update while the worker is paused.
    await svc.node.worker!.stop();
    try {
      const first = await svc.put(`/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { description: 'updated' } });
      assert.equal(first.status, 200);
      assert.equal(first.body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
      await expectFault(
        'PUT',
        `/v2/lbaas/loadbalancers/${lb.id}`,
        { loadbalancer: { description: 'x' } },
        409,
        `Invalid state PENDING_UPDATE of loadbalancer resource ${lb.id}`,
      );
      await expectFault(
        'DELETE',
        `/v2/lbaas/loadbalancers/${lb.id}?cascade=True`,
        undefined,
        409,
        `Invalid state PENDING_UPDATE of loadbalancer resource ${lb.id}`,
      );
    } finally {
      await svc.node.worker!.start();
    }
    await svc.settle();
    const shown = await svc.get(`/v2/lbaas/loadbalancers/${lb.id}`);
    assert.equal(shown.body.loadbalancer.provisioning_status, 'ACTIVE');
    assert.equal(shown.body.loadbalancer.description, 'updated');
  });

  it('pages with limit and marker, sorts, and selects fields (80-83)', async () => {
    for (const name of ['p-a', 'p-b', 'p-c']) await svc.createLoadBalancer({ name });
    const all = (await svc.get('/v2/lbaas/loadbalancers')).body.loadbalancers as Array<{ id: string; name: string }>;
    const page1 = await svc.get('/v2/lbaas/loadbalancers?limit=2');
    assert.deepEqual(
      page1.body.loadbalancers.map((l: { id: string }) => l.id),
      all.slice(0, 2).map((l) => l.id),
    );
    assert.equal(page1.body.loadbalancers_links.length, 1);
    assert.equal(page1.body.loadbalancers_links[0].rel, 'next');
    const next = new URL(page1.body.loadbalancers_links[0].href);
    const page2 = await svc.get(next.pathname + next.search);
    assert.deepEqual(
      page2.body.loadbalancers.map((l: { id: string }) => l.id),
      all.slice(2, 4).map((l) => l.id),
    );
    assert.deepEqual(
      page2.body.loadbalancers_links.map((l: { rel: string }) => l.rel),
      ['previous', 'next'],
    );
    const prev = new URL(page2.body.loadbalancers_links[0].href);
    const back = await svc.get(prev.pathname + prev.search);
    assert.deepEqual(
      back.body.loadbalancers.map((l: { id: string }) => l.id),
      all.slice(0, 2).map((l) => l.id),
    );

    const sorted = await svc.get('/v2/lbaas/loadbalancers?sort=name:desc&fields=id&fields=name');
    const names = sorted.body.loadbalancers.map((l: { name: string }) => l.name);
    assert.deepEqual(names, [...names].sort().reverse());
    assert.deepEqual(Object.keys(sorted.body.loadbalancers[0]), ['id', 'name']);
    const filtered = await svc.get('/v2/lbaas/loadbalancers?name=p-b');
    assert.deepEqual(
      filtered.body.loadbalancers.map((l: { name: string }) => l.name),
      ['p-b'],
    );
  });

  it('refuses to delete a load balancer with children without cascade (49)', async () => {
    const lb = await svc.createLoadBalancer({ name: 'parent' });
    await svc.node.db.kysely
      .insertInto('pool')
      .values(poolRow(lb.id, { id: '7f000000-0000-4000-8000-000000000001' }))
      .execute();
    await expectFault(
      'DELETE',
      `/v2/lbaas/loadbalancers/${lb.id}`,
      undefined,
      400,
      `Validation failure: Cannot delete Load Balancer ${lb.id} - it has children`,
    );
    const cascade = await svc.del(`/v2/lbaas/loadbalancers/${lb.id}?cascade=True`);
    assert.equal(cascade.status, 204);
    const pending = await svc.get(`/v2/lbaas/loadbalancers/${lb.id}`);
    assert.ok(['PENDING_DELETE', undefined].includes(pending.body.loadbalancer?.provisioning_status));
    await svc.settle();
    assert.equal((await svc.get(`/v2/lbaas/loadbalancers/${lb.id}`)).status, 404);
    const pools = await svc.node.db.kysely
      .selectFrom('pool')
      .select('id')
      .where('load_balancer_id', '=', lb.id)
      .execute();
    assert.equal(pools.length, 0);
  });
});
