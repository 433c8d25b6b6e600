import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestService } from '../helpers/service.js';

const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });
const UNLIMITED = {
  load_balancer: -1,
  listener: -1,
  member: -1,
  pool: -1,
  health_monitor: -1,
  l7policy: -1,
  l7rule: -1,
};
const VIP = { vip_subnet_id: '11111111-2222-3333-4444-555555555555' };

describe('quotas', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start();
  });
  after(() => svc.stop());

  it('lists no quotas at first (25_quotas_list)', async () => {
    const res = await svc.get('/v2/lbaas/quotas');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { quotas: [], quotas_links: [] });
  });

  it('answers the defaults as 26_quota_defaults, at both addresses and for a project without a row', async () => {
    for (const path of [
      '/v2/lbaas/quotas/defaults',
      '/v2/quotas/some-project/default',
      '/v2/lbaas/quotas/some-project',
    ]) {
      const res = await svc.get(path);
      assert.equal(res.status, 200, path);
      assert.deepEqual(res.body, { quota: UNLIMITED }, path);
      assert.deepEqual(Object.keys(res.body.quota), [
        'load_balancer',
        'listener',
        'member',
        'pool',
        'health_monitor',
        'l7policy',
        'l7rule',
      ]);
    }
  });

  it('sets a project quota with either spelling (202) and lists the row with both spellings', async () => {
    const res = await svc.put('/v2/lbaas/quotas/project-set', {
      quota: { loadbalancer: 5, health_monitor: 7, member: 0, l7rule: null },
    });
    assert.equal(res.status, 202);
    const expected = { ...UNLIMITED, load_balancer: 5, health_monitor: 7, member: 0 };
    assert.deepEqual(res.body, { quota: expected });
    assert.deepEqual((await svc.get('/v2/lbaas/quotas/project-set')).body, { quota: expected });

    const both = await svc.put('/v2/lbaas/quotas/project-set', { quota: { load_balancer: 1, loadbalancer: 9 } });
    assert.equal(both.body.quota.load_balancer, 9);
    const keep = await svc.put('/v2/lbaas/quotas/project-set', { quota: { listener: 3 } });
    assert.deepEqual(keep.body.quota, { ...expected, load_balancer: 9, listener: 3 });

    const list = await svc.get('/v2/lbaas/quotas?project_id=project-set');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, {
      quotas: [
        {
          project_id: 'project-set',
          loadbalancer: 9,
          load_balancer: 9,
          listener: 3,
          member: 0,
          pool: null,
          healthmonitor: 7,
          health_monitor: 7,
          l7policy: null,
          l7rule: null,
          tenant_id: 'project-set',
        },
      ],
      quotas_links: [],
    });
  });

  it('refuses bad quota values and attributes', async () => {
    const low = await svc.put('/v2/lbaas/quotas/project-bad', { quota: { loadbalancer: -2 } });
    assert.equal(low.status, 400);
    assert.deepEqual(
      low.body,
      fault("Invalid input for field/attribute loadbalancer. Value: '-2'. Value should be greater or equal to -1"),
    );
    const high = await svc.put('/v2/lbaas/quotas/project-bad', { quota: { pool: 2000000001 } });
    assert.deepEqual(
      high.body,
      fault(
        "Invalid input for field/attribute pool. Value: '2000000001'. Value should be lower or equal to 2000000000",
      ),
    );
    const max = await svc.put('/v2/lbaas/quotas/project-max', { quota: { pool: 2000000000 } });
    assert.equal(max.status, 202);
    assert.equal(max.body.quota.pool, 2000000000);
    const unknown = await svc.put('/v2/lbaas/quotas/project-bad', { quota: { bogus: 1 } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, fault('Unknown attribute for argument quotas.quota: bogus'));
    const text = await svc.put('/v2/lbaas/quotas/project-bad', { quota: { member: 'many' } });
    assert.equal(text.status, 400);
    assert.match(text.body.faultstring, /^Invalid input for field\/attribute member\. Value: 'many'\./);
    const listed = await svc.get('/v2/lbaas/quotas?project_id=project-bad');
    assert.deepEqual(listed.body.quotas, []);
  });

  it('resets a project to the defaults on DELETE (202) and answers 404 for a project without quotas', async () => {
    await svc.put('/v2/lbaas/quotas/project-reset', { quota: { pool: 4 } });
    const del = await svc.del('/v2/lbaas/quotas/project-reset');
    assert.equal(del.status, 202);
    assert.equal(del.body, undefined);
    assert.deepEqual((await svc.get('/v2/lbaas/quotas/project-reset')).body, { quota: UNLIMITED });
    const missing = await svc.del('/v2/lbaas/quotas/project-never');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, fault('Quotas project-never not found.'));
  });

  it('pages the quota list by project', async () => {
    for (const p of ['page-1', 'page-2', 'page-3']) await svc.put(`/v2/lbaas/quotas/${p}`, { quota: { l7policy: 1 } });
    const first = await svc.get('/v2/lbaas/quotas?l7policy=1&limit=2');
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.quotas.map((q: { project_id: string }) => q.project_id),
      ['page-1', 'page-2'],
    );
    assert.match(first.body.quotas_links[0].href, /marker=page-2/);
    const rest = await svc.get('/v2/lbaas/quotas?l7policy=1&limit=2&marker=page-2');
    assert.deepEqual(
      rest.body.quotas.map((q: { project_id: string }) => q.project_id),
      ['page-3'],
    );
  });

  it('enforces a load balancer quota with 403 and lifts it on DELETE', async () => {
    const asProject = { 'x-project-id': 'project-q' };
    const set = await svc.request('PUT', '/v2/lbaas/quotas/project-q', { quota: { load_balancer: 1 } });
    assert.equal(set.status, 202);
    const first = await svc.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: VIP }, asProject);
    assert.equal(first.status, 201);
    const second = await svc.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: VIP }, asProject);
    assert.equal(second.status, 403);
    assert.deepEqual(second.body, fault('Quota has been met for resources: load_balancer'));
    const other = await svc.request(
      'POST',
      '/v2/lbaas/loadbalancers',
      { loadbalancer: VIP },
      { 'x-project-id': 'project-free' },
    );
    assert.equal(other.status, 201);

    assert.equal((await svc.del('/v2/lbaas/quotas/project-q')).status, 202);
    const third = await svc.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: VIP }, asProject);
    assert.equal(third.status, 201);
    await svc.settle();
  });
});

describe('quota defaults from the configuration', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start({ quotas: { loadbalancer: 2, member: 50 } });
  });
  after(() => svc.stop());

  it('answers and enforces the configured defaults until a project sets its own', async () => {
    const configured = { ...UNLIMITED, load_balancer: 2, member: 50 };
    assert.deepEqual((await svc.get('/v2/lbaas/quotas/defaults')).body, { quota: configured });
    assert.deepEqual((await svc.get('/v2/lbaas/quotas/anyone')).body, { quota: configured });
    const own = await svc.put('/v2/lbaas/quotas/anyone', { quota: { member: 10, load_balancer: null } });
    assert.deepEqual(own.body, { quota: { ...configured, member: 10 } });

    for (let i = 0; i < 2; i++)
      assert.equal((await svc.post('/v2/lbaas/loadbalancers', { loadbalancer: VIP })).status, 201);
    const over = await svc.post('/v2/lbaas/loadbalancers', { loadbalancer: VIP });
    assert.equal(over.status, 403);
    await svc.settle();
  });
});
