import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ComputeDriver } from '../../src/compute/compute-driver.js';
import { NoopComputeDriver } from '../../src/compute/noop/noop-compute-driver.js';
import { listenerRow } from '../helpers/rows.js';
import { TestService } from '../helpers/service.js';

const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });
const MISSING = '00000000-0000-0000-0000-000000000000';
const AMPHORA_FIELDS = [
  'id',
  'loadbalancer_id',
  'compute_id',
  'lb_network_ip',
  'vrrp_ip',
  'ha_ip',
  'vrrp_port_id',
  'ha_port_id',
  'cert_expiration',
  'cert_busy',
  'role',
  'status',
  'vrrp_interface',
  'vrrp_id',
  'vrrp_priority',
  'cached_zone',
  'created_at',
  'updated_at',
  'image_id',
  'compute_flavor',
];

describe('amphorae', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start();
  });
  after(() => svc.stop());

  const db = () => svc.node.db.kysely;
  const amphoraOf = async (lbId: string) => {
    const res = await svc.get(`/v2/octavia/amphorae?loadbalancer_id=${lbId}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.amphorae.length, 1);
    return res.body.amphorae[0];
  };
  const lbStatus = async (lbId: string) =>
    (await svc.get(`/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status;
  const setLbStatus = (lbId: string, status: string) =>
    db().updateTable('load_balancer').set({ provisioning_status: status }).where('id', '=', lbId).execute();
  const lastJob = async () => {
    const job = await db().selectFrom('job').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    return {
      flow: job.flow,
      loadBalancerId: job.load_balancer_id,
      resourceId: job.resource_id,
      payload: JSON.parse(job.payload),
    };
  };
  const insertSpare = async () => {
    const id = randomUUID();
    await db()
      .insertInto('amphora')
      .values({
        id,
        load_balancer_id: null,
        compute_id: `noop-${id}`,
        lb_network_ip: '192.0.2.9',
        vrrp_ip: null,
        ha_ip: null,
        vrrp_port_id: null,
        ha_port_id: null,
        cert_expiration: null,
        cert_busy: false,
        role: null,
        status: 'READY',
        vrrp_interface: null,
        vrrp_id: null,
        vrrp_priority: null,
        cached_zone: null,
        image_id: null,
        compute_flavor: null,
        created_at: '2026-01-01T00:00:00',
        updated_at: null,
      })
      .execute();
    return id;
  };
  const insertListener = async (lbId: string, port: number) => {
    const row = listenerRow(lbId, {
      operating_status: 'ONLINE',
      created_at: `2026-01-01T00:00:0${port % 10}`,
      name: null,
      description: null,
      protocol_port: port,
    });
    await db().insertInto('listener').values(row).execute();
    return row.id;
  };

  it('lists and shows amphorae in the order of 24_amphorae_list', async () => {
    const lb = await svc.createLoadBalancer({ name: 'amp-list' });
    const amp = await amphoraOf(lb.id);
    assert.deepEqual(Object.keys(amp), AMPHORA_FIELDS);
    assert.equal(amp.loadbalancer_id, lb.id);
    assert.equal(amp.status, 'ALLOCATED');
    assert.equal(amp.role, 'STANDALONE');
    assert.equal(amp.cert_busy, false);
    assert.equal(amp.vrrp_id, 1);
    assert.equal(amp.vrrp_priority, null);
    assert.equal(amp.vrrp_ip, lb.vip_address);
    assert.equal(amp.ha_port_id, lb.vip_port_id);
    assert.match(amp.compute_id, /^noop-/);
    assert.match(amp.cert_expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);

    const shown = await svc.get(`/v2/octavia/amphorae/${amp.id}`);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, { amphora: amp });
    const fields = await svc.get(`/v2/octavia/amphorae/${amp.id}?fields=id&fields=status`);
    assert.deepEqual(fields.body, { amphora: { id: amp.id, status: 'ALLOCATED' } });
    const listFields = await svc.get(`/v2/octavia/amphorae?loadbalancer_id=${lb.id}&fields=loadbalancer_id`);
    assert.deepEqual(listFields.body, { amphorae: [{ loadbalancer_id: lb.id }], amphorae_links: [] });
    const byStatus = await svc.get('/v2/octavia/amphorae?status=ERROR');
    assert.deepEqual(byStatus.body, { amphorae: [], amphorae_links: [] });
    const badFilter = await svc.get('/v2/octavia/amphorae?cert_busy=maybe');
    assert.equal(badFilter.status, 400);

    for (const id of [MISSING, 'not-a-uuid']) {
      const missing = await svc.get(`/v2/octavia/amphorae/${id}`);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, fault(`Amphora ${id} not found.`));
    }
    const lbaasPath = await svc.get('/v2/lbaas/amphorae');
    assert.equal(lbaasPath.status, 404);
  });

  it('deletes only an amphora in ERROR, removing its compute instance first', async () => {
    const lb = await svc.createLoadBalancer({ name: 'amp-delete' });
    const amp = await amphoraOf(lb.id);
    const busy = await svc.del(`/v2/octavia/amphorae/${amp.id}`);
    assert.equal(busy.status, 409);
    assert.deepEqual(busy.body, fault(`amphora ${amp.id} is immutable and cannot be updated.`));

    await db().updateTable('amphora').set({ status: 'ERROR' }).where('id', '=', amp.id).execute();
    const destroyed: string[] = [];
    const driver: ComputeDriver = NoopComputeDriver.prototype;
    const original = driver.destroy;
    driver.destroy = async (computeId) => {
      destroyed.push(computeId);
    };
    try {
      const res = await svc.del(`/v2/octavia/amphorae/${amp.id}`);
      assert.equal(res.status, 204);
    } finally {
      driver.destroy = original;
    }
    assert.deepEqual(destroyed, [amp.compute_id]);
    const gone = await svc.get(`/v2/octavia/amphorae/${amp.id}`);
    assert.equal(gone.status, 404);
    const missing = await svc.del(`/v2/octavia/amphorae/${MISSING}`);
    assert.deepEqual(missing.body, fault(`Amphora ${MISSING} not found.`));
  });

  it('fails an amphora over: the LB is locked, the flow replaces the amphora, the LB is ACTIVE again', async () => {
    const lb = await svc.createLoadBalancer({ name: 'amp-failover' });
    const old = await amphoraOf(lb.id);
    const res = await svc.put(`/v2/octavia/amphorae/${old.id}/failover`, undefined);
    assert.equal(res.status, 202);
    assert.equal(res.body, undefined);
    // The worker adds its own progress to the payload; what the API queued is `locked` and `amphoraToReplace`.
    const job = await lastJob();
    assert.deepEqual(
      { ...job, payload: { locked: job.payload.locked, amphoraToReplace: job.payload.amphoraToReplace } },
      {
        flow: 'loadbalancer.failover',
        loadBalancerId: lb.id,
        resourceId: old.id,
        payload: { locked: [{ table: 'load_balancer', id: lb.id }], amphoraToReplace: old.id },
      },
    );
    await svc.settle();
    assert.equal(await lbStatus(lb.id), 'ACTIVE');
    const replacement = await amphoraOf(lb.id);
    assert.notEqual(replacement.id, old.id);
    assert.equal(replacement.status, 'ALLOCATED');
    assert.equal((await svc.get(`/v2/octavia/amphorae/${old.id}`)).status, 404);
  });

  it('fails over an amphora of an LB in ERROR, and refuses while the LB is PENDING', async () => {
    const lb = await svc.createLoadBalancer({ name: 'amp-failover-states' });
    const amp = await amphoraOf(lb.id);
    await setLbStatus(lb.id, 'PENDING_UPDATE');
    const pending = await svc.put(`/v2/octavia/amphorae/${amp.id}/failover`, undefined);
    assert.equal(pending.status, 409);
    assert.deepEqual(pending.body, fault(`Invalid state PENDING_UPDATE of loadbalancer resource ${lb.id}`));

    await setLbStatus(lb.id, 'ERROR');
    const fromError = await svc.put(`/v2/octavia/amphorae/${amp.id}/failover`, undefined);
    assert.equal(fromError.status, 202);
    await svc.settle();
    assert.equal(await lbStatus(lb.id), 'ACTIVE');
  });

  it('refreshes an amphora configuration through apply-changes, only from ACTIVE', async () => {
    const lb = await svc.createLoadBalancer({ name: 'amp-config' });
    const amp = await amphoraOf(lb.id);
    const res = await svc.put(`/v2/octavia/amphorae/${amp.id}/config`, undefined);
    assert.equal(res.status, 202);
    assert.deepEqual(await lastJob(), {
      flow: 'apply-changes',
      loadBalancerId: lb.id,
      resourceId: amp.id,
      payload: { locked: [{ table: 'load_balancer', id: lb.id }], targets: [] },
    });
    await svc.settle();
    assert.equal(await lbStatus(lb.id), 'ACTIVE');
    assert.equal((await amphoraOf(lb.id)).id, amp.id);

    await setLbStatus(lb.id, 'ERROR');
    const fromError = await svc.put(`/v2/octavia/amphorae/${amp.id}/config`, undefined);
    assert.equal(fromError.status, 409);
    assert.deepEqual(fromError.body, fault(`Invalid state ERROR of loadbalancer resource ${lb.id}`));
    const missing = await svc.put(`/v2/octavia/amphorae/${MISSING}/config`, undefined);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, fault(`Amphora ${MISSING} not found.`));
  });

  it('refuses failover and config of an amphora that serves no load balancer', async () => {
    const spare = await insertSpare();
    for (const action of ['failover', 'config']) {
      const res = await svc.put(`/v2/octavia/amphorae/${spare}/${action}`, undefined);
      assert.equal(res.status, 409, action);
      assert.deepEqual(res.body, fault(`Amphora ${spare} is not associated with a load balancer.`));
    }
    const stats = await svc.get(`/v2/octavia/amphorae/${spare}/stats`);
    assert.equal(stats.status, 404);
    assert.deepEqual(stats.body, fault(`Amphora stats for ${spare} not found.`));
  });

  it('answers zero statistics per listener of the amphora load balancer', async () => {
    const lb = await svc.createLoadBalancer({ name: 'amp-stats' });
    const amp = await amphoraOf(lb.id);
    const none = await svc.get(`/v2/octavia/amphorae/${amp.id}/stats`);
    assert.equal(none.status, 404);
    assert.deepEqual(none.body, fault(`Amphora stats for ${amp.id} not found.`));

    const first = await insertListener(lb.id, 80);
    const second = await insertListener(lb.id, 443);
    const res = await svc.get(`/v2/octavia/amphorae/${amp.id}/stats`);
    assert.equal(res.status, 200);
    const zero = { active_connections: 0, bytes_in: 0, bytes_out: 0, request_errors: 0, total_connections: 0 };
    assert.deepEqual(res.body, {
      amphora_stats: [
        { id: amp.id, listener_id: first, loadbalancer_id: lb.id, ...zero },
        { id: amp.id, listener_id: second, loadbalancer_id: lb.id, ...zero },
      ],
    });
    const missing = await svc.get(`/v2/octavia/amphorae/${MISSING}/stats`);
    assert.deepEqual(missing.body, fault(`Amphora ${MISSING} not found.`));
  });
});
