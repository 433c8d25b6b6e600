import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { newId } from '../../src/common/ids.js';
import { insertPool } from '../helpers/rows.js';
import { TestService } from '../helpers/service.js';

/** Keys of a health monitor, in the order Octavia 11 answers with (11_hm_create.json). */
const HM_KEYS = [
  'id',
  'name',
  'type',
  'delay',
  'timeout',
  'max_retries',
  'max_retries_down',
  'http_method',
  'url_path',
  'expected_codes',
  'admin_state_up',
  'project_id',
  'pools',
  'provisioning_status',
  'operating_status',
  'created_at',
  'updated_at',
  'tags',
  'http_version',
  'domain_name',
  'tenant_id',
];

describe('health monitors', () => {
  let svc: TestService;
  let lbId: string;
  let poolId: string;
  let listenerId: string;

  const HMS = '/v2/lbaas/healthmonitors';
  const status = async (table: 'load_balancer' | 'listener' | 'pool' | 'health_monitor', id: string) =>
    (await svc.node.db.kysely.selectFrom(table).select('provisioning_status').where('id', '=', id).executeTakeFirst())
      ?.provisioning_status;
  const create = (extra: Record<string, unknown> = {}, pool = poolId) =>
    svc.post(HMS, { healthmonitor: { pool_id: pool, type: 'HTTP', delay: 5, timeout: 10, max_retries: 2, ...extra } });
  const createSettled = async (extra: Record<string, unknown> = {}, pool = poolId) => {
    const res = await create(extra, pool);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await svc.settle();
    return res.body.healthmonitor;
  };
  const paused = (fn: () => Promise<void>) => svc.whilePaused(fn);

  before(async () => {
    svc = await TestService.start();
    lbId = (await svc.createLoadBalancer({ name: 'hm-lb' })).id;
  });
  after(() => svc.stop());
  beforeEach(async () => {
    ({ poolId, listenerId } = (await insertPool(svc, lbId, { listener: true })) as {
      poolId: string;
      listenerId: string;
    });
  });

  it('creates an HTTP monitor with its defaults, locks its parents, and the worker makes it ACTIVE / ONLINE', async () => {
    let id = '';
    await paused(async () => {
      const res = await create({ name: 'hm1' });
      assert.equal(res.status, 201);
      const hm = res.body.healthmonitor;
      id = hm.id;
      assert.deepEqual(Object.keys(hm), HM_KEYS);
      assert.deepEqual(
        { ...hm, id: undefined, created_at: undefined },
        {
          id: undefined,
          created_at: undefined,
          name: 'hm1',
          type: 'HTTP',
          delay: 5,
          timeout: 10,
          max_retries: 2,
          max_retries_down: 3,
          http_method: 'GET',
          url_path: '/',
          expected_codes: '200',
          admin_state_up: true,
          project_id: 'project-a',
          pools: [{ id: poolId }],
          provisioning_status: 'PENDING_CREATE',
          operating_status: 'OFFLINE',
          updated_at: null,
          tags: [],
          http_version: null,
          domain_name: null,
          tenant_id: 'project-a',
        },
      );
      assert.equal(await status('load_balancer', lbId), 'PENDING_UPDATE');
      assert.equal(await status('listener', listenerId), 'PENDING_UPDATE');
      assert.equal(await status('pool', poolId), 'PENDING_UPDATE');
      const busy = await create();
      assert.equal(busy.status, 409);
      assert.equal(busy.body.faultstring, `Pool ${poolId} is immutable and cannot be updated.`);
    });
    const shown = await svc.get(`${HMS}/${id}`);
    assert.equal(shown.status, 200);
    assert.deepEqual(Object.keys(shown.body.healthmonitor), HM_KEYS);
    assert.equal(shown.body.healthmonitor.provisioning_status, 'ACTIVE');
    assert.equal(shown.body.healthmonitor.operating_status, 'ONLINE');
    for (const [table, rid] of [
      ['load_balancer', lbId],
      ['listener', listenerId],
      ['pool', poolId],
    ] as const)
      assert.equal(await status(table, rid), 'ACTIVE', table);
    const list = await svc.get(`${HMS}?pool_id=${poolId}`);
    assert.deepEqual(
      list.body.healthmonitors.map((h: any) => h.id),
      [id],
    );
    assert.deepEqual(list.body.healthmonitors_links, []);
  });

  it('accepts a TCP monitor whose timeout exceeds its delay, with the HTTP fields null', async () => {
    const res = await create({ type: 'TCP', delay: 3, timeout: 10 });
    assert.equal(res.status, 201);
    const hm = res.body.healthmonitor;
    assert.deepEqual([hm.http_method, hm.url_path, hm.expected_codes, hm.name], [null, null, null, '']);
    await svc.settle();
  });

  it('leaves a disabled monitor OFFLINE', async () => {
    const hm = await createSettled({ admin_state_up: false, type: 'PING' });
    const shown = (await svc.get(`${HMS}/${hm.id}`)).body.healthmonitor;
    assert.deepEqual([shown.provisioning_status, shown.operating_status], ['ACTIVE', 'OFFLINE']);
  });

  it('keeps the HTTP settings, HTTP version and domain name it is given', async () => {
    const hm = await createSettled({
      type: 'HTTPS',
      http_method: 'HEAD',
      url_path: '/health?full=1',
      expected_codes: '200, 202',
      http_version: 1.1,
      domain_name: 'www.example.com',
      max_retries_down: 5,
      tags: ['a'],
    });
    const shown = (await svc.get(`${HMS}/${hm.id}`)).body.healthmonitor;
    assert.deepEqual(
      [
        shown.http_method,
        shown.url_path,
        shown.expected_codes,
        shown.http_version,
        shown.domain_name,
        shown.max_retries_down,
        shown.tags,
      ],
      ['HEAD', '/health?full=1', '200, 202', 1.1, 'www.example.com', 5, ['a']],
    );
  });

  it('answers 409 to a second monitor on a pool', async () => {
    await createSettled();
    const res = await create({ type: 'TCP' });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, {
      faultcode: 'Client',
      faultstring: 'This pool already has a health monitor',
      debuginfo: null,
    });
    assert.equal(await status('load_balancer', lbId), 'ACTIVE', 'the refused create released its locks');
  });

  it('answers 409 while the load balancer is busy with another change', async () => {
    await paused(async () => {
      assert.equal(
        (await svc.put(`/v2/lbaas/loadbalancers/${lbId}`, { loadbalancer: { description: 'x' } })).status,
        200,
      );
      const res = await create();
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, `Load Balancer ${lbId} is immutable and cannot be updated.`);
    });
  });

  it('refuses bad bodies with Octavia fault strings', async () => {
    const missingPool = newId();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [
        { type: 'FOO' },
        400,
        "Invalid input for field/attribute type. Value: 'FOO'. Value should be one of: SCTP, UDP-CONNECT, HTTPS, HTTP, TLS-HELLO, TCP, PING",
      ],
      [
        { max_retries: 11 },
        400,
        "Invalid input for field/attribute max_retries. Value: '11'. Value should be lower or equal to 10",
      ],
      [
        { max_retries_down: 0 },
        400,
        "Invalid input for field/attribute max_retries_down. Value: '0'. Value should be greater or equal to 1",
      ],
      [
        { delay: -1 },
        400,
        "Invalid input for field/attribute delay. Value: '-1'. Value should be greater or equal to 0",
      ],
      [{ delay: null }, 400, "Invalid input for field/attribute delay. Value: 'None'. Mandatory field missing."],
      [
        { http_method: 'FETCH' },
        400,
        "Invalid input for field/attribute http_method. Value: 'FETCH'. Value should be one of: GET, HEAD, POST, PUT, DELETE, TRACE, OPTIONS, CONNECT, PATCH",
      ],
      [
        { url_path: 'health' },
        400,
        "Invalid input for field/attribute url_path. Value: 'health'. Value must be a valid URL Path string",
      ],
      [
        { url_path: 'http://host/health' },
        400,
        "Invalid input for field/attribute url_path. Value: 'http://host/health'. Value must be a valid URL Path string",
      ],
      [
        { url_path: '//host/health' },
        400,
        "Invalid input for field/attribute url_path. Value: '//host/health'. Value must be a valid URL Path string",
      ],
      [
        { url_path: '/a b' },
        400,
        "Invalid input for field/attribute url_path. Value: '/a b'. Value must be a valid URL Path string",
      ],
      [
        { expected_codes: '2xx' },
        400,
        String.raw`Invalid input for field/attribute expected_codes. Value: '2xx'. Value should match the pattern ^(\d{3}(\s*,\s*\d{3})*)$|^(\d{3}-\d{3})$`,
      ],
      [
        { http_version: 2 },
        400,
        "Invalid input for field/attribute http_version. Value: '2'. Value should be one of: 1.0, 1.1",
      ],
      [
        { domain_name: 'bad_name!', http_version: 1.1 },
        400,
        String.raw`Invalid input for field/attribute domain_name. Value: 'bad_name!'. Value should match the pattern ^(?=.{1,253}\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\.|$))+$`,
      ],
      [
        { domain_name: 'example.com' },
        400,
        "Validation failure: 'http_version' must be specified when 'domain_name' is provided.",
      ],
      [
        { domain_name: 'example.com', http_version: 1.0 },
        400,
        'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check',
      ],
      [{ type: 'TCP', http_method: 'GET' }, 400, 'http_method is not a valid option for health monitors of type TCP'],
      [{ type: 'PING', url_path: '/' }, 400, 'url_path is not a valid option for health monitors of type PING'],
      [
        { type: 'TLS-HELLO', expected_codes: '200' },
        400,
        'expected_codes is not a valid option for health monitors of type TLS-HELLO',
      ],
      [
        { type: 'UDP-CONNECT' },
        400,
        'Validation failure: The UDP-CONNECT type is only supported for pools of type UDP/SCTP.',
      ],
      [{ type: 'SCTP' }, 400, 'Validation failure: The SCTP type is only supported for pools of type UDP/SCTP.'],
      [{ bogus: 1 }, 400, 'Unknown attribute for argument health_monitor_.healthmonitor: bogus'],
      [
        { pool_id: 'not-a-uuid' },
        400,
        "Invalid input for field/attribute pool_id. Value: 'not-a-uuid'. Value should be UUID format",
      ],
      [{ pool_id: missingPool }, 404, `Pool ${missingPool} not found.`],
    ];
    for (const [extra, code, fault] of cases) {
      const res = await create(extra);
      assert.equal(res.status, code, JSON.stringify(extra));
      assert.equal(res.body.faultstring, fault);
    }
    const bool = await create({ admin_state_up: 'maybe' });
    assert.equal(bool.status, 400);
    assert.match(
      bool.body.faultstring,
      /^Invalid input for field\/attribute health_monitor_\. Value: '\{'healthmonitor': .*'\. Value not an unambiguous boolean: maybe$/,
    );
    assert.equal(await status('pool', poolId), 'ACTIVE');
    assert.deepEqual((await svc.get(`${HMS}?pool_id=${poolId}`)).body.healthmonitors, []);
  });

  it('matches monitor types to UDP and SCTP pools', async () => {
    const udp = (await insertPool(svc, lbId, { protocol: 'UDP' })).poolId;
    const https = await create({ type: 'HTTPS' }, udp);
    assert.equal(https.status, 400);
    assert.equal(
      https.body.faultstring,
      'Validation failure: The associated pool protocol is UDP, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.',
    );
    const short = await create({ type: 'UDP-CONNECT', delay: 2 }, udp);
    assert.equal(short.status, 400);
    assert.equal(
      short.body.faultstring,
      'Validation failure: The request delay value 2 should be larger than 3 for UDP-CONNECT health monitor type.',
    );
    const hm = await createSettled({ type: 'UDP-CONNECT', delay: 3 }, udp);
    assert.equal(hm.http_method, null);
    const lower = await svc.put(`${HMS}/${hm.id}`, { healthmonitor: { delay: 1 } });
    assert.equal(lower.status, 400);
    assert.equal(
      lower.body.faultstring,
      'Validation failure: The request delay value 1 should be larger than 3 for UDP-CONNECT health monitor type.',
    );
    const sctp = (await insertPool(svc, lbId, { protocol: 'SCTP' })).poolId;
    await createSettled({ type: 'HTTP' }, sctp);
  });

  it('updates a monitor: PENDING_UPDATE with the new values, then ACTIVE', async () => {
    const hm = await createSettled({ name: 'hm1' });
    await paused(async () => {
      const res = await svc.put(`${HMS}/${hm.id}`, { healthmonitor: { delay: 7, expected_codes: '200-204' } });
      assert.equal(res.status, 200);
      const body = res.body.healthmonitor;
      assert.deepEqual(Object.keys(body), HM_KEYS);
      assert.deepEqual(
        [body.delay, body.expected_codes, body.provisioning_status, body.operating_status, body.name],
        [7, '200-204', 'PENDING_UPDATE', 'ONLINE', 'hm1'],
      );
      assert.notEqual(body.updated_at, null);
      assert.equal(await status('pool', poolId), 'PENDING_UPDATE');
      assert.equal(await status('listener', listenerId), 'PENDING_UPDATE');
      const busy = await svc.put(`${HMS}/${hm.id}`, { healthmonitor: { delay: 8 } });
      assert.equal(busy.status, 409);
      assert.equal(busy.body.faultstring, `Pool ${poolId} is immutable and cannot be updated.`);
    });
    assert.equal(await status('health_monitor', hm.id), 'ACTIVE');
    const reset = await svc.put(`${HMS}/${hm.id}`, {
      healthmonitor: {
        url_path: null,
        http_method: null,
        expected_codes: null,
        max_retries_down: null,
        name: null,
        admin_state_up: false,
      },
    });
    assert.equal(reset.status, 200);
    await svc.settle();
    const shown = (await svc.get(`${HMS}/${hm.id}`)).body.healthmonitor;
    assert.deepEqual(
      [
        shown.url_path,
        shown.http_method,
        shown.expected_codes,
        shown.max_retries_down,
        shown.name,
        shown.provisioning_status,
        shown.operating_status,
      ],
      ['/', 'GET', '200', 3, '', 'ACTIVE', 'OFFLINE'],
    );
    await svc.put(`${HMS}/${hm.id}`, { healthmonitor: { admin_state_up: true } });
    await svc.settle();
    assert.equal((await svc.get(`${HMS}/${hm.id}`)).body.healthmonitor.operating_status, 'ONLINE');
  });

  it('refuses bad updates with Octavia fault strings', async () => {
    const http = await createSettled();
    const tcp = await createSettled({ type: 'TCP' }, (await insertPool(svc, lbId)).poolId);
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [http.id, { delay: null }, 'None is not a valid option for delay'],
      [http.id, { max_retries: null }, 'None is not a valid option for max_retries'],
      [http.id, { timeout: null }, 'None is not a valid option for timeout'],
      [http.id, { type: 'TCP' }, 'Unknown attribute for argument health_monitor_.healthmonitor: type'],
      [http.id, { pool_id: poolId }, 'Unknown attribute for argument health_monitor_.healthmonitor: pool_id'],
      [
        http.id,
        { domain_name: 'example.com' },
        "Validation failure: 'http_version' must be specified when 'domain_name' is provided.",
      ],
      [
        http.id,
        { domain_name: 'example.com', http_version: 1.0 },
        'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check',
      ],
      [
        http.id,
        { max_retries: 0 },
        "Invalid input for field/attribute max_retries. Value: '0'. Value should be greater or equal to 1",
      ],
      [tcp.id, { url_path: '/x' }, 'url_path is not a valid option for health monitors of type TCP'],
      [tcp.id, { http_method: null }, 'http_method is not a valid option for health monitors of type TCP'],
    ];
    for (const [id, healthmonitor, fault] of cases) {
      const res = await svc.put(`${HMS}/${id}`, { healthmonitor });
      assert.equal(res.status, 400, JSON.stringify(healthmonitor));
      assert.equal(res.body.faultstring, fault);
    }
    const ok = await svc.put(`${HMS}/${http.id}`, { healthmonitor: { domain_name: 'example.com', http_version: 1.1 } });
    assert.equal(ok.status, 200);
    await svc.settle();
    const clearVersion = await svc.put(`${HMS}/${http.id}`, { healthmonitor: { http_version: null } });
    assert.equal(clearVersion.status, 400, 'the domain name still needs HTTP/1.1');
    const missing = newId();
    const res = await svc.put(`${HMS}/${missing}`, { healthmonitor: { delay: 3 } });
    assert.equal(res.status, 404);
    assert.equal(res.body.faultstring, `Health Monitor ${missing} not found.`);
  });

  it('deletes a monitor and sets the members of its pool NO_MONITOR', async () => {
    const hm = await createSettled();
    const member = await svc.post(`/v2/lbaas/pools/${poolId}/members`, {
      member: { address: '10.0.0.1', protocol_port: 80 },
    });
    assert.equal(member.status, 201);
    assert.equal(member.body.member.operating_status, 'OFFLINE');
    await svc.settle();
    await paused(async () => {
      assert.equal((await svc.del(`${HMS}/${hm.id}`)).status, 204);
      assert.equal(await status('health_monitor', hm.id), 'PENDING_DELETE');
      assert.equal(await status('pool', poolId), 'PENDING_UPDATE');
      assert.equal((await svc.del(`${HMS}/${hm.id}`)).status, 409);
    });
    const gone = await svc.get(`${HMS}/${hm.id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.faultstring, `Health Monitor ${hm.id} not found.`);
    const m = (await svc.get(`/v2/lbaas/pools/${poolId}/members/${member.body.member.id}`)).body.member;
    assert.equal(m.operating_status, 'NO_MONITOR');
    assert.equal(await status('pool', poolId), 'ACTIVE');
    assert.equal((await svc.del(`${HMS}/${hm.id}`)).status, 404);
    await createSettled({ type: 'TCP' });
  });

  it('deletes a monitor in ERROR but does not update it', async () => {
    const hm = await createSettled();
    await svc.node.db.kysely
      .updateTable('health_monitor')
      .set({ provisioning_status: 'ERROR' })
      .where('id', '=', hm.id)
      .execute();
    const res = await svc.put(`${HMS}/${hm.id}`, { healthmonitor: { delay: 9 } });
    assert.equal(res.status, 409);
    assert.equal(res.body.faultstring, `Health Monitor ${hm.id} is immutable and cannot be updated.`);
    assert.equal(await status('load_balancer', lbId), 'ACTIVE');
    assert.equal((await svc.del(`${HMS}/${hm.id}`)).status, 204);
    await svc.settle();
    assert.equal((await svc.get(`${HMS}/${hm.id}`)).status, 404);
  });

  it('enforces the health monitor quota', async () => {
    const kysely = svc.node.db.kysely;
    const used = Number(
      (
        await kysely
          .selectFrom('health_monitor')
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
        healthmonitor: used,
        member: null,
        l7policy: null,
        l7rule: null,
      })
      .execute();
    try {
      const res = await create();
      assert.equal(res.status, 403);
      assert.equal(res.body.faultstring, 'Quota has been met for resources: health_monitor');
    } finally {
      await kysely.deleteFrom('quota').where('project_id', '=', 'project-a').execute();
    }
  });

  it('lists with filters and answers 404 for unknown ids', async () => {
    const a = await createSettled({ name: 'alpha', type: 'TCP' });
    const b = await createSettled({ name: 'beta' }, (await insertPool(svc, lbId)).poolId);
    const byType = await svc.get(`${HMS}?type=TCP&name=alpha`);
    assert.deepEqual(
      byType.body.healthmonitors.map((h: any) => h.id),
      [a.id],
    );
    const byDelay = (await svc.get(`${HMS}?delay=5&sort=name:desc`)).body.healthmonitors.map((h: any) => h.id);
    assert.deepEqual(
      byDelay.filter((id: string) => id === a.id || id === b.id),
      [b.id, a.id],
    );
    assert.equal((await svc.get(`${HMS}?delay=soon`)).status, 400);
    const fields = await svc.get(`${HMS}/${a.id}?fields=id&fields=pools`);
    assert.deepEqual(fields.body.healthmonitor, { id: a.id, pools: [{ id: poolId }] });
    const bad = await svc.get(`${HMS}/not-a-uuid`);
    assert.equal(bad.status, 404);
    assert.equal(bad.body.faultstring, 'Health Monitor not-a-uuid not found.');
    assert.equal((await svc.get(`/v2.0/healthmonitors/${a.id}.json`)).status, 200);
  });
});
