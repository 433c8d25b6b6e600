import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isUniqueViolation } from '../../src/api/resources/members/member-pool.js';
import { newId } from '../../src/common/ids.js';
import { MEMBER_KEYS } from '../helpers/octavia-keys.js';
import { insertPool } from '../helpers/rows.js';
import { TestService } from '../helpers/service.js';

/** Keys of a member, in the order Octavia 11 answers with (09_member_create.json). */
const SUBNET = '11111111-2222-3333-4444-555555555555';

describe('members', () => {
  let svc: TestService;
  let lbId: string;
  let poolId: string;
  let listenerId: string;

  const members = (pool = poolId) => `/v2/lbaas/pools/${pool}/members`;
  const status = async (table: 'load_balancer' | 'listener' | 'pool' | 'member', id: string) =>
    (await svc.node.db.kysely.selectFrom(table).select('provisioning_status').where('id', '=', id).executeTakeFirst())
      ?.provisioning_status;
  const jobCount = async () =>
    Number(
      (
        await svc.node.db.kysely
          .selectFrom('job')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const createMember = async (address: string, extra: Record<string, unknown> = {}, pool = poolId) => {
    const res = await svc.post(members(pool), { member: { address, protocol_port: 80, ...extra } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await svc.settle();
    return res.body.member;
  };
  const paused = (fn: () => Promise<void>) => svc.whilePaused(fn);

  before(async () => {
    svc = await TestService.start();
    lbId = (await svc.createLoadBalancer({ name: 'members-lb' })).id;
  });
  after(() => svc.stop());
  beforeEach(async () => {
    ({ poolId, listenerId } = (await insertPool(svc, lbId, { listener: true })) as {
      poolId: string;
      listenerId: string;
    });
  });

  it('creates a member PENDING_CREATE / NO_MONITOR, locks its parents, and the worker makes it ACTIVE', async () => {
    await paused(async () => {
      const res = await svc.post(members(), {
        member: { name: 'm1', address: '10.0.0.4', protocol_port: 80, subnet_id: SUBNET, tags: ['a'] },
      });
      assert.equal(res.status, 201);
      const m = res.body.member;
      assert.deepEqual(Object.keys(m), MEMBER_KEYS);
      assert.deepEqual(
        { ...m, id: undefined, created_at: undefined },
        {
          ...m,
          id: undefined,
          created_at: undefined,
          name: 'm1',
          operating_status: 'NO_MONITOR',
          provisioning_status: 'PENDING_CREATE',
          admin_state_up: true,
          address: '10.0.0.4',
          protocol_port: 80,
          weight: 1,
          backup: false,
          subnet_id: SUBNET,
          project_id: 'project-a',
          updated_at: null,
          monitor_address: null,
          monitor_port: null,
          tags: ['a'],
          tenant_id: 'project-a',
        },
      );
      assert.equal(await status('load_balancer', lbId), 'PENDING_UPDATE');
      assert.equal(await status('listener', listenerId), 'PENDING_UPDATE');
      assert.equal(await status('pool', poolId), 'PENDING_UPDATE');
      const again = await svc.post(members(), { member: { address: '10.0.0.5', protocol_port: 80 } });
      assert.equal(again.status, 409);
      assert.equal(again.body.faultstring, `Pool ${poolId} is immutable and cannot be updated.`);
    });
    const list = await svc.get(members());
    assert.equal(list.status, 200);
    assert.equal(list.body.members.length, 1);
    assert.deepEqual(list.body.members_links, []);
    const shown = list.body.members[0];
    assert.equal(shown.provisioning_status, 'ACTIVE');
    assert.equal(shown.operating_status, 'NO_MONITOR');
    assert.deepEqual(Object.keys(shown), MEMBER_KEYS);
    for (const [table, id] of [
      ['load_balancer', lbId],
      ['listener', listenerId],
      ['pool', poolId],
    ] as const)
      assert.equal(await status(table, id), 'ACTIVE', table);
  });

  it('answers 409 while the load balancer is busy with another change', async () => {
    await paused(async () => {
      assert.equal(
        (await svc.put(`/v2/lbaas/loadbalancers/${lbId}`, { loadbalancer: { description: 'x' } })).status,
        200,
      );
      const res = await svc.post(members(), { member: { address: '10.0.0.4', protocol_port: 80 } });
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, `Load Balancer ${lbId} is immutable and cannot be updated.`);
      assert.equal(await status('pool', poolId), 'ACTIVE', 'the failed request left no lock behind');
    });
  });

  it('starts members OFFLINE when the pool has a health monitor', async () => {
    const hm = await svc.post('/v2/lbaas/healthmonitors', {
      healthmonitor: { pool_id: poolId, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 },
    });
    assert.equal(hm.status, 201);
    await svc.settle();
    const m = await createMember('10.0.0.9');
    assert.equal(m.operating_status, 'OFFLINE');
  });

  it('shows a member only under its own pool', async () => {
    const m = await createMember('10.0.0.4', { name: 'mine' });
    const shown = await svc.get(`${members()}/${m.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.member.name, 'mine');
    assert.deepEqual(Object.keys(shown.body.member), MEMBER_KEYS);
    const fields = await svc.get(`${members()}/${m.id}?fields=id&fields=address`);
    assert.deepEqual(fields.body.member, { id: m.id, address: '10.0.0.4' });

    const other = (await insertPool(svc, lbId)).poolId;
    const wrong = await svc.get(`${members(other)}/${m.id}`);
    assert.equal(wrong.status, 404);
    assert.deepEqual(wrong.body, { faultcode: 'Client', faultstring: `Member ${m.id} not found.`, debuginfo: null });
    assert.deepEqual((await svc.get(members(other))).body, { members: [], members_links: [] });

    const noPool = newId();
    for (const res of [
      await svc.get(members(noPool)),
      await svc.get(`${members(noPool)}/${m.id}`),
      await svc.post(members(noPool), { member: { address: '10.0.0.1', protocol_port: 80 } }),
    ]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.faultstring, `Pool ${noPool} not found.`);
    }
    const badId = await svc.get(`${members()}/not-a-uuid`);
    assert.equal(badId.status, 404);
    assert.equal(badId.body.faultstring, 'Member not-a-uuid not found.');
  });

  it('lists with filters, sorting and paging within the pool', async () => {
    await createMember('10.0.0.1', { name: 'b', weight: 3 });
    await createMember('10.0.0.2', { name: 'a' });
    await createMember('10.0.0.3', { name: 'c', admin_state_up: false });
    const sorted = await svc.get(`${members()}?sort=name:asc`);
    assert.deepEqual(
      sorted.body.members.map((m: any) => m.name),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      (await svc.get(`${members()}?weight=3`)).body.members.map((m: any) => m.name),
      ['b'],
    );
    assert.deepEqual(
      (await svc.get(`${members()}?admin_state_up=false`)).body.members.map((m: any) => m.name),
      ['c'],
    );
    const page = await svc.get(`${members()}?limit=2&sort=name`);
    assert.equal(page.body.members.length, 2);
    assert.equal(page.body.members_links[0].rel, 'next');
    const bad = await svc.get(`${members()}?bogus=1`);
    assert.equal(bad.status, 400);
  });

  it('refuses bad bodies with Octavia fault strings', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { address: '10.0.0.999', protocol_port: 80 },
        "Invalid input for field/attribute address. Value: '10.0.0.999'. Value should be IPv4 or IPv6 format",
      ],
      [
        { address: '10.0.0.4', protocol_port: 0 },
        "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1",
      ],
      [
        { address: '10.0.0.4', protocol_port: 65536 },
        "Invalid input for field/attribute protocol_port. Value: '65536'. Value should be lower or equal to 65535",
      ],
      [{ address: '169.254.169.254', protocol_port: 80 }, '169.254.169.254 is not a valid option for member address'],
      [
        { address: '10.0.0.4', protocol_port: 80, weight: 257 },
        "Invalid input for field/attribute weight. Value: '257'. Value should be lower or equal to 256",
      ],
      [
        { address: '10.0.0.4', protocol_port: 80, weight: -1 },
        "Invalid input for field/attribute weight. Value: '-1'. Value should be greater or equal to 0",
      ],
      [
        { address: '10.0.0.4', protocol_port: 80, monitor_port: 0 },
        "Invalid input for field/attribute monitor_port. Value: '0'. Value should be greater or equal to 1",
      ],
      [
        { address: '10.0.0.4', protocol_port: 80, monitor_address: 'host' },
        "Invalid input for field/attribute monitor_address. Value: 'host'. Value should be IPv4 or IPv6 format",
      ],
      [
        { address: '10.0.0.4', protocol_port: 80, subnet_id: 'nope' },
        "Invalid input for field/attribute subnet_id. Value: 'nope'. Value should be UUID format",
      ],
      [{ protocol_port: 80 }, "Invalid input for field/attribute address. Value: 'None'. Mandatory field missing."],
      [{ address: '10.0.0.4', protocol_port: 80, bogus: 1 }, 'Unknown attribute for argument member_.member: bogus'],
      [
        { address: '10.0.0.4', protocol_port: 80, request_sriov: true },
        'Validation failure: The load balancer flavor does not allow SR-IOV member ports.',
      ],
    ];
    for (const [member, fault] of cases) {
      const res = await svc.post(members(), { member });
      assert.equal(res.status, 400, JSON.stringify(member));
      assert.equal(res.body.faultstring, fault);
    }
    const long = await svc.post(members(), { member: { address: `fe80::1%${'x'.repeat(70)}`, protocol_port: 80 } });
    assert.equal(long.status, 400);
    assert.equal(await status('pool', poolId), 'ACTIVE');
    assert.equal((await svc.get(members())).body.members.length, 0);
  });

  it('gives an SR-IOV port to members that ask for one when the flavor allows it', async () => {
    const kysely = svc.node.db.kysely;
    const profileId = newId();
    const flavorId = newId();
    await kysely
      .insertInto('flavor_profile')
      .values({ id: profileId, name: 'sriov', provider_name: 'amphora', flavor_data: '{"allow_member_sriov": true}' })
      .execute();
    await kysely
      .insertInto('flavor')
      .values({
        id: flavorId,
        name: `sriov-${flavorId}`,
        description: null,
        enabled: true,
        flavor_profile_id: profileId,
      })
      .execute();
    const lb = await svc.createLoadBalancer({ flavor_id: flavorId });
    const pool = (await insertPool(svc, lb.id)).poolId;
    const direct = await createMember('10.0.0.1', { request_sriov: true }, pool);
    const normal = await createMember('10.0.0.2', { request_sriov: false }, pool);
    const vnic = async (id: string) =>
      (await kysely.selectFrom('member').select('vnic_type').where('id', '=', id).executeTakeFirstOrThrow()).vnic_type;
    assert.equal(await vnic(direct.id), 'direct');
    assert.equal(await vnic(normal.id), 'normal');
  });

  it('answers 409 to a second member on the same address and port', async () => {
    await createMember('10.0.0.4');
    const res = await svc.post(members(), { member: { address: '10.0.0.4', protocol_port: 80 } });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, {
      faultcode: 'Client',
      faultstring: 'Another member on this pool is already using ip 10.0.0.4 on protocol_port 80',
      debuginfo: null,
    });
    assert.equal(await status('load_balancer', lbId), 'ACTIVE', 'the refused create released its locks');
    const otherPort = await svc.post(members(), { member: { address: '10.0.0.4', protocol_port: 81 } });
    assert.equal(otherPort.status, 201);
    await svc.settle();
  });

  it('recognises the unique index error of this database as a duplicate', async () => {
    const m = await createMember('10.0.0.4');
    const row = await svc.node.db.kysely
      .selectFrom('member')
      .selectAll()
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    const err = await svc.node.db.kysely
      .insertInto('member')
      .values({ ...row, id: newId() })
      .execute()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err, 'the index refused the duplicate');
    assert.equal(isUniqueViolation(err), true);
    assert.equal(isUniqueViolation(new Error('other')), false);
  });

  it('updates a member (null resets defaults) and the worker makes it ACTIVE', async () => {
    const m = await createMember('10.0.0.5', { name: 'm2', weight: 3, backup: true, monitor_port: 8080 });
    await paused(async () => {
      const res = await svc.put(`${members()}/${m.id}`, {
        member: { admin_state_up: false, weight: 5, tags: ['x', 'y'] },
      });
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body.member), MEMBER_KEYS);
      assert.equal(res.body.member.provisioning_status, 'PENDING_UPDATE');
      assert.equal(res.body.member.admin_state_up, false);
      assert.equal(res.body.member.weight, 5);
      assert.deepEqual(res.body.member.tags, ['x', 'y']);
      assert.notEqual(res.body.member.updated_at, null);
      const busy = await svc.put(`${members()}/${m.id}`, { member: { weight: 6 } });
      assert.equal(busy.status, 409);
      assert.equal(busy.body.faultstring, `Pool ${poolId} is immutable and cannot be updated.`);
    });
    const reset = await svc.put(`${members()}/${m.id}`, {
      member: { weight: null, backup: null, monitor_port: null, name: null },
    });
    assert.equal(reset.status, 200);
    await svc.settle();
    const shown = (await svc.get(`${members()}/${m.id}`)).body.member;
    assert.equal(shown.provisioning_status, 'ACTIVE');
    assert.equal(shown.weight, 1);
    assert.equal(shown.backup, false);
    assert.equal(shown.monitor_port, null);
    assert.equal(shown.name, '');
    assert.equal(shown.admin_state_up, false);

    const fixed = await svc.put(`${members()}/${m.id}`, { member: { address: '10.0.0.6' } });
    assert.equal(fixed.status, 400);
    assert.equal(fixed.body.faultstring, 'Unknown attribute for argument member_.member: address');
    const missing = await svc.put(`${members()}/${newId()}`, { member: { weight: 2 } });
    assert.equal(missing.status, 404);
  });

  it('refuses to update a member in ERROR but deletes it', async () => {
    const m = await createMember('10.0.0.7');
    await svc.node.db.kysely
      .updateTable('member')
      .set({ provisioning_status: 'ERROR' })
      .where('id', '=', m.id)
      .execute();
    const res = await svc.put(`${members()}/${m.id}`, { member: { weight: 2 } });
    assert.equal(res.status, 409);
    assert.equal(res.body.faultstring, `Member ${m.id} is immutable and cannot be updated.`);
    assert.equal(await status('load_balancer', lbId), 'ACTIVE');
    assert.equal(await status('pool', poolId), 'ACTIVE');
    assert.equal((await svc.del(`${members()}/${m.id}`)).status, 204);
    await svc.settle();
    assert.equal((await svc.get(`${members()}/${m.id}`)).status, 404);
  });

  it('deletes a member: PENDING_DELETE, then gone', async () => {
    const m = await createMember('10.0.0.8', { tags: ['t'] });
    await paused(async () => {
      const res = await svc.del(`${members()}/${m.id}`);
      assert.equal(res.status, 204);
      assert.equal(await status('member', m.id), 'PENDING_DELETE');
      assert.equal(await status('listener', listenerId), 'PENDING_UPDATE');
    });
    assert.equal((await svc.get(`${members()}/${m.id}`)).status, 404);
    assert.equal(await status('pool', poolId), 'ACTIVE');
    const tags = await svc.node.db.kysely.selectFrom('tag').select('tag').where('resource_id', '=', m.id).execute();
    assert.deepEqual(tags, []);
    const other = (await insertPool(svc, lbId)).poolId;
    const m2 = await createMember('10.0.0.8', {}, other);
    const wrongPool = await svc.del(`${members()}/${m2.id}`);
    assert.equal(wrongPool.status, 404);
    assert.equal(wrongPool.body.faultstring, `Member ${m2.id} not found.`);
  });

  it('enforces the member quota', async () => {
    const kysely = svc.node.db.kysely;
    const used = Number(
      (
        await kysely
          .selectFrom('member')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('project_id', '=', 'project-a')
          .executeTakeFirstOrThrow()
      ).n,
    );
    await kysely
      .insertInto('quota')
      .values({
        project_id: 'project-a',
        loadbalancer: null,
        listener: null,
        pool: null,
        healthmonitor: null,
        member: used + 1,
        l7policy: null,
        l7rule: null,
      })
      .execute();
    try {
      await createMember('10.0.1.1');
      const res = await svc.post(members(), { member: { address: '10.0.1.2', protocol_port: 80 } });
      assert.equal(res.status, 403);
      assert.equal(res.body.faultstring, 'Quota has been met for resources: member');
      const batch = await svc.put(members(), {
        members: [
          { address: '10.0.1.1', protocol_port: 80 },
          { address: '10.0.1.2', protocol_port: 80 },
        ],
      });
      assert.equal(batch.status, 403);
      const swap = await svc.put(members(), { members: [{ address: '10.0.1.3', protocol_port: 80 }] });
      assert.equal(swap.status, 202, 'one in, one out is no growth');
      await svc.settle();
      assert.deepEqual(
        (await svc.get(members())).body.members.map((m: any) => m.address),
        ['10.0.1.3'],
      );
    } finally {
      await kysely.deleteFrom('quota').where('project_id', '=', 'project-a').execute();
    }
  });

  describe('batch update', () => {
    it('creates, updates and deletes in one call, with one job', async () => {
      const m1 = await createMember('10.0.0.1', { name: 'same' });
      const m2 = await createMember('10.0.0.2', { name: 'changed' });
      const m3 = await createMember('10.0.0.3', { name: 'gone' });
      const jobsBefore = await jobCount();
      await paused(async () => {
        const res = await svc.put(members(), {
          members: [
            { address: '10.0.0.1', protocol_port: 80 },
            { address: '10.0.0.2', protocol_port: 80, weight: 5, tags: ['new'] },
            { address: '10.0.0.4', protocol_port: 80, name: 'added', backup: true },
          ],
        });
        assert.equal(res.status, 202);
        assert.equal(res.body, undefined);
        const list = (await svc.get(members())).body.members as any[];
        const byAddress = Object.fromEntries(list.map((m) => [m.address, m]));
        assert.equal(byAddress['10.0.0.1'].provisioning_status, 'ACTIVE');
        assert.equal(byAddress['10.0.0.2'].provisioning_status, 'PENDING_UPDATE');
        assert.equal(byAddress['10.0.0.2'].weight, 5);
        assert.equal(byAddress['10.0.0.3'].provisioning_status, 'PENDING_DELETE');
        assert.equal(byAddress['10.0.0.4'].provisioning_status, 'PENDING_CREATE');
        assert.equal(byAddress['10.0.0.4'].operating_status, 'NO_MONITOR');
        assert.equal(await status('load_balancer', lbId), 'PENDING_UPDATE');
        assert.equal(await status('listener', listenerId), 'PENDING_UPDATE');
        assert.equal(await status('pool', poolId), 'PENDING_UPDATE');
        assert.equal(await jobCount(), jobsBefore + 1);
        const job = await svc.node.db.kysely
          .selectFrom('job')
          .selectAll()
          .orderBy('id', 'desc')
          .executeTakeFirstOrThrow();
        const payload = JSON.parse(job.payload);
        assert.equal(job.resource_id, poolId);
        assert.deepEqual(
          payload.targets.map((t: any) => [t.id, t.action]).sort(),
          [
            [byAddress['10.0.0.4'].id, 'create'],
            [m2.id, 'update'],
            [m3.id, 'delete'],
          ].sort(),
        );
        assert.deepEqual(
          payload.locked.map((l: any) => l.table),
          ['load_balancer', 'listener', 'pool'],
        );
        const busy = await svc.put(members(), { members: [] });
        assert.equal(busy.status, 409);
      });
      const list = (await svc.get(members())).body.members as any[];
      assert.deepEqual(list.map((m) => [m.address, m.provisioning_status]).sort(), [
        ['10.0.0.1', 'ACTIVE'],
        ['10.0.0.2', 'ACTIVE'],
        ['10.0.0.4', 'ACTIVE'],
      ]);
      const updated = list.find((m) => m.address === '10.0.0.2');
      assert.equal(updated.id, m2.id);
      assert.equal(updated.name, 'changed', 'name left out is kept');
      assert.deepEqual(updated.tags, ['new']);
      assert.equal(list.find((m) => m.address === '10.0.0.1').id, m1.id);
      assert.equal(list.find((m) => m.address === '10.0.0.4').backup, true);
      assert.equal(await status('load_balancer', lbId), 'ACTIVE');
    });

    it('keeps unlisted members with additive_only=true', async () => {
      await createMember('10.0.0.1');
      await createMember('10.0.0.2');
      const res = await svc.put(`${members()}?additive_only=true`, {
        members: [{ address: '10.0.0.3', protocol_port: 80 }],
      });
      assert.equal(res.status, 202);
      await svc.settle();
      const list = (await svc.get(members())).body.members as any[];
      assert.deepEqual(list.map((m) => m.address).sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
      assert.ok(list.every((m) => m.provisioning_status === 'ACTIVE'));
    });

    it('deletes every member for an empty list', async () => {
      await createMember('10.0.0.1');
      await createMember('10.0.0.2');
      assert.equal((await svc.put(members(), { members: [] })).status, 202);
      await svc.settle();
      assert.deepEqual((await svc.get(members())).body.members, []);
    });

    it('changes nothing, locks nothing and queues no job when the list matches', async () => {
      const m = await createMember('10.0.0.1', { weight: 4, tags: ['a', 'b'] });
      const jobsBefore = await jobCount();
      await paused(async () => {
        const res = await svc.put(members(), {
          members: [{ address: '10.0.0.1', protocol_port: 80, weight: 4, tags: ['b', 'a'] }],
        });
        assert.equal(res.status, 202);
        assert.equal(await jobCount(), jobsBefore);
        assert.equal(await status('load_balancer', lbId), 'ACTIVE');
        assert.equal(await status('member', m.id), 'ACTIVE');
      });
      const empty = await svc.put(members((await insertPool(svc, lbId)).poolId), { members: [] });
      assert.equal(empty.status, 202);
      assert.equal(await jobCount(), jobsBefore);
    });

    it('resets fields a listed member leaves out to their defaults', async () => {
      const m = await createMember('10.0.0.1', { weight: 4, backup: true, monitor_port: 9000 });
      assert.equal((await svc.put(members(), { members: [{ address: '10.0.0.1', protocol_port: 80 }] })).status, 202);
      await svc.settle();
      const shown = (await svc.get(`${members()}/${m.id}`)).body.member;
      assert.deepEqual([shown.weight, shown.backup, shown.monitor_port], [1, false, null]);
    });

    it('refuses a duplicate key, a reserved address and malformed bodies', async () => {
      await createMember('10.0.0.1');
      const dup = await svc.put(members(), {
        members: [
          { address: '10.0.0.2', protocol_port: 80 },
          { address: '10.0.0.2', protocol_port: 80, weight: 3 },
        ],
      });
      assert.equal(dup.status, 400);
      assert.equal(
        dup.body.faultstring,
        'Validation failure: Duplicate member address 10.0.0.2 and protocol_port 80 in the request.',
      );
      const reserved = await svc.put(members(), { members: [{ address: '169.254.169.254', protocol_port: 80 }] });
      assert.equal(reserved.status, 400);
      assert.equal(reserved.body.faultstring, '169.254.169.254 is not a valid option for member address');
      const cases: Array<[unknown, string]> = [
        [
          { members: [{ address: '10.0.0.2' }] },
          "Invalid input for field/attribute protocol_port. Value: 'None'. Mandatory field missing.",
        ],
        [
          { members: [{ address: '10.0.0.2', protocol_port: 80, bogus: 1 }] },
          'Unknown attribute for argument members_.members: bogus',
        ],
        [
          { members: {} },
          "Invalid input for field/attribute members. Value: '{}'. Wrong type. Expected '<class 'list'>', got '<class 'dict'>'",
        ],
        [{ member: [] }, 'Unknown attribute for argument members_: member'],
        [{}, "Invalid input for field/attribute members. Value: 'None'. Mandatory field missing."],
        [
          { members: ['x'] },
          "Invalid input for field/attribute members. Value: 'x'. Wrong type. Expected '<class 'dict'>', got '<class 'str'>'",
        ],
      ];
      for (const [body, fault] of cases) {
        const res = await svc.put(members(), body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.faultstring, fault);
      }
      const missingPool = newId();
      const res = await svc.put(members(missingPool), { members: [] });
      assert.equal(res.status, 404);
      assert.equal(res.body.faultstring, `Pool ${missingPool} not found.`);
      assert.deepEqual(
        (await svc.get(members())).body.members.map((m: any) => m.address),
        ['10.0.0.1'],
      );
    });
  });
});
