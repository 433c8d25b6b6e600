import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/common/logger.js';
import { newId, nowTimestamp } from '../../src/common/ids.js';
import { openDatabase, type Db } from '../../src/db/database.js';
import { encodeEnvelope } from '../../src/heartbeat/envelope.js';
import { orderedMessage, type HeartbeatMessage, type ListenerCounters } from '../../src/heartbeat/message.js';
import { applyBatch } from '../../src/health/apply-batch.js';
import { HealthGraphCache } from '../../src/health/graph-cache.js';
import { startHealthManager, type RunningHealthManager } from '../../src/health/health-manager.js';
import { assertSameSnapshot, takeDbSnapshot } from '../helpers/db-snapshot.js';
import { TEST_DIALECT, TestService } from '../helpers/service.js';

/**
 * The health manager on a real database (SQLite, or PostgreSQL with TAVIA_TEST_DB=postgres), next to the
 * API and worker of a TestService (noop drivers: the amphora rows exist, nothing runs). The test plays the
 * amphora: it signs heartbeats and sends them over UDP on loopback, then reads the API.
 */

const KEY = 'health-manager-test-key';
const SUBNET = '11111111-2222-3333-4444-555555555555';
const ZERO: ListenerCounters = { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 };

interface Tree {
  lbId: string;
  listenerId: string;
  poolId: string;
  memberIds: [string, string];
  amphoraId: string;
}

/** Poll `check` until it holds (bounded). */
async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('health manager', () => {
  let svc: TestService;
  let hm: RunningHealthManager;
  let sender: Socket;
  let tree: Tree;
  let seq = Date.now();

  const startManager = (db: Db) =>
    startHealthManager({
      db,
      config: { ...svc.config, health: { ...svc.config.health, host: '127.0.0.1', port: 0 } },
      log: createLogger(process.env.TAVIA_TEST_LOG ?? 'silent'),
      key: KEY,
      batchMaxDelayMs: 2,
    });

  /** Send raw bytes to `to` and wait until that manager has received and applied (or dropped) them. */
  async function sendRaw(datagram: Buffer, to: RunningHealthManager = hm): Promise<void> {
    const received = to.counters.received;
    await new Promise<void>((resolve, reject) =>
      sender.send(datagram, to.address.port, to.address.host, (err) => (err ? reject(err) : resolve())),
    );
    await waitFor(() => to.counters.received > received, 'the datagram to arrive');
    await to.idle();
  }

  /** A heartbeat of the test tree's amphora; `members` and `stats` override the healthy defaults. */
  function heartbeat(
    opts: {
      members?: [string, string];
      poolStatus?: string;
      stats?: Partial<ListenerCounters>;
      ver?: number;
      listeners?: boolean;
      amphoraId?: string;
      seq?: number;
    } = {},
  ): HeartbeatMessage {
    const [m1, m2] = opts.members ?? ['UP', 'UP'];
    return {
      id: opts.amphoraId ?? tree.amphoraId,
      seq: opts.seq ?? ++seq,
      listeners:
        opts.listeners === false ? {} : { [tree.listenerId]: { status: 'OPEN', stats: { ...ZERO, ...opts.stats } } },
      pools: {
        [`${tree.poolId}:${tree.listenerId}`]: {
          status: opts.poolStatus ?? 'UP',
          members: { [tree.memberIds[0]]: m1, [tree.memberIds[1]]: m2 },
        },
      },
      ver: opts.ver ?? 3,
    };
  }

  /**
   * The database connection of a second health manager: its own pool on PostgreSQL. On SQLite the node's
   * connection: two better-sqlite3 connections to one file in one process block each other's event loop
   * (the busy wait is synchronous), and separate processes are what `tavia` runs.
   */
  const secondDatabase = (): { db: Db; close: () => Promise<void> } => {
    if (TEST_DIALECT !== 'postgres') return { db: svc.node.db, close: async () => {} };
    const db = openDatabase(svc.config.database.url, svc.config.dataDir);
    return { db, close: () => db.close() };
  };

  const send = (message: HeartbeatMessage, to?: RunningHealthManager, key = KEY) =>
    sendRaw(encodeEnvelope(orderedMessage(message), key), to);

  const statuses = async () => {
    const lb = (await svc.get(`/v2/lbaas/loadbalancers/${tree.lbId}/status`)).body.statuses.loadbalancer;
    const listener = lb.listeners.find((l: any) => l.id === tree.listenerId);
    const pool = listener.pools[0];
    return {
      lb: lb.operating_status,
      listener: listener.operating_status,
      pool: pool.operating_status,
      members: tree.memberIds.map((id) => pool.members.find((m: any) => m.id === id).operating_status),
    };
  };
  const health = () =>
    svc.node.db.kysely
      .selectFrom('amphora_health')
      .selectAll()
      .where('amphora_id', '=', tree.amphoraId)
      .executeTakeFirstOrThrow();
  const listenerStats = async () => (await svc.get(`/v2/lbaas/listeners/${tree.listenerId}/stats`)).body.stats;

  before(async () => {
    svc = await TestService.start();
    sender = createSocket('udp4');
    hm = await startManager(svc.node.db);
    const res = await svc.post('/v2/lbaas/loadbalancers', {
      loadbalancer: {
        vip_subnet_id: SUBNET,
        name: 'health',
        listeners: [
          {
            name: 'web',
            protocol: 'HTTP',
            protocol_port: 80,
            default_pool: {
              name: 'pool',
              protocol: 'HTTP',
              lb_algorithm: 'ROUND_ROBIN',
              healthmonitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1 },
              members: [
                { name: 'm1', address: '10.0.0.11', protocol_port: 80 },
                { name: 'm2', address: '10.0.0.12', protocol_port: 80 },
              ],
            },
          },
        ],
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await svc.settle();
    const lb = res.body.loadbalancer;
    const pool = lb.pools[0];
    const amphora = await svc.node.db.kysely
      .selectFrom('amphora')
      .select('id')
      .where('load_balancer_id', '=', lb.id)
      .executeTakeFirstOrThrow();
    const members = await svc.get(`/v2/lbaas/pools/${pool.id}/members`);
    const ids = members.body.members
      .map((m: any) => m.id)
      .sort((a: string, b: string) => {
        const name = (id: string) => members.body.members.find((m: any) => m.id === id).name;
        return name(a) < name(b) ? -1 : 1;
      });
    tree = {
      lbId: lb.id,
      listenerId: lb.listeners[0].id,
      poolId: pool.id,
      memberIds: [ids[0], ids[1]],
      amphoraId: amphora.id,
    };
  });

  after(async () => {
    sender?.close();
    await hm?.stop();
    await svc?.stop();
  });

  it('turns the tree ONLINE on a healthy heartbeat and records the amphora health', async () => {
    assert.deepEqual(await statuses(), {
      lb: 'OFFLINE',
      listener: 'OFFLINE',
      pool: 'OFFLINE',
      members: ['OFFLINE', 'OFFLINE'],
    });
    const sentAt = Date.now();
    const message = heartbeat();
    await send(message);
    assert.deepEqual(await statuses(), {
      lb: 'ONLINE',
      listener: 'ONLINE',
      pool: 'ONLINE',
      members: ['ONLINE', 'ONLINE'],
    });
    const row = await health();
    assert.equal(Number(row.last_seq), message.seq);
    assert.ok(Number(row.last_update_ms) >= sentAt && Number(row.last_update_ms) <= Date.now());
    assert.equal(hm.backlogMs(), 0);
    const members = await svc.get(`/v2/lbaas/pools/${tree.poolId}/members`);
    assert.deepEqual(
      members.body.members.map((m: any) => m.operating_status),
      ['ONLINE', 'ONLINE'],
    );
  });

  it('makes a DOWN member ERROR and its pool and load balancer DEGRADED; all down is ERROR; back up is ONLINE', async () => {
    await send(heartbeat({ members: ['DOWN', 'UP'] }));
    assert.deepEqual(await statuses(), {
      lb: 'DEGRADED',
      listener: 'ONLINE',
      pool: 'DEGRADED',
      members: ['ERROR', 'ONLINE'],
    });
    const member = await svc.get(`/v2/lbaas/pools/${tree.poolId}/members/${tree.memberIds[0]}`);
    assert.equal(member.body.member.operating_status, 'ERROR');

    await send(heartbeat({ members: ['DOWN', 'DOWN'], poolStatus: 'DOWN' }));
    assert.deepEqual(await statuses(), { lb: 'ERROR', listener: 'ONLINE', pool: 'ERROR', members: ['ERROR', 'ERROR'] });

    await send(heartbeat({ members: ['UP 1/2', 'UP'] }));
    assert.deepEqual(await statuses(), {
      lb: 'ONLINE',
      listener: 'ONLINE',
      pool: 'ONLINE',
      members: ['ONLINE', 'ONLINE'],
    });
  });

  it('adds counter deltas, replaces the connection gauge, and never lets a counter go back', async () => {
    const start = await listenerStats();
    await send(heartbeat({ stats: { rx: 100, tx: 1000, conns: 5, totconns: 7, ereq: 1 } }));
    await send(heartbeat({ stats: { rx: 50, tx: 500, conns: 2, totconns: 3, ereq: 0 } }));
    let stats = await listenerStats();
    assert.deepEqual(stats, {
      bytes_in: start.bytes_in + 150,
      bytes_out: start.bytes_out + 1500,
      active_connections: 2,
      total_connections: start.total_connections + 10,
      request_errors: start.request_errors + 1,
    });
    // A negative delta (a sender that saw HAProxy's counters reset) adds nothing; the others still count.
    await send(heartbeat({ stats: { rx: -120, tx: 10, conns: 1, totconns: -3, ereq: 0 } }));
    stats = await listenerStats();
    assert.equal(stats.bytes_in, start.bytes_in + 150);
    assert.equal(stats.bytes_out, start.bytes_out + 1510);
    assert.equal(stats.total_connections, start.total_connections + 10);
    assert.equal(stats.active_connections, 1);

    // Version 2 sends absolute counters: a value above the stored one replaces it, a reset one is ignored.
    const row = () =>
      svc.node.db.kysely
        .selectFrom('listener_statistics')
        .selectAll()
        .where('listener_id', '=', tree.listenerId)
        .where('amphora_id', '=', tree.amphoraId)
        .executeTakeFirstOrThrow();
    const stored = await row();
    await send(heartbeat({ ver: 2, stats: { rx: stored.bytes_in + 1000, tx: 3, conns: 4, totconns: 0, ereq: 0 } }));
    const raised = await row();
    assert.equal(raised.bytes_in, stored.bytes_in + 1000);
    assert.equal(raised.bytes_out, stored.bytes_out);
    assert.equal(raised.active_connections, 4);
    await send(heartbeat({ ver: 2, stats: { rx: 10, tx: 10, conns: 0, totconns: 1, ereq: 0 } }));
    const afterReset = await row();
    assert.equal(afterReset.bytes_in, raised.bytes_in);
    assert.equal(afterReset.total_connections, raised.total_connections);
    assert.equal(afterReset.active_connections, 0);
  });

  it('changes nothing for a forged, a replayed, a stale, a truncated, a malformed or an unknown amphora heartbeat', async () => {
    const good = heartbeat({ members: ['DOWN', 'DOWN'], poolStatus: 'DOWN', stats: { rx: 999, totconns: 9 } });
    await send(good);
    // The tree now reads as the accepted heartbeat left it; each bad one below must leave it so.
    const before = await takeDbSnapshot(svc.node.db);
    const dropped = { ...hm.counters.dropped };
    const accepted = hm.counters.accepted;
    const healthy = () => heartbeat({ stats: { rx: 5, totconns: 1 } });

    await send(healthy(), hm, 'not-the-key');
    await send(good);
    await send({ ...healthy(), seq: good.seq - 1 });
    const datagram = encodeEnvelope(orderedMessage(healthy()), KEY);
    await sendRaw(datagram.subarray(0, datagram.length - 10));
    await sendRaw(datagram.subarray(0, 40));
    await send({ ...healthy(), listeners: { [tree.listenerId]: { status: 'OPEN' } } } as unknown as HeartbeatMessage);
    await send(heartbeat({ amphoraId: newId() }));

    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'dropped heartbeats');
    assert.equal(hm.counters.accepted, accepted);
    assert.equal(hm.counters.dropped['bad-signature'], dropped['bad-signature'] + 2);
    assert.equal(hm.counters.dropped['stale-seq'], dropped['stale-seq'] + 2);
    assert.equal(hm.counters.dropped['too-short'], dropped['too-short'] + 1);
    assert.equal(hm.counters.dropped.malformed, dropped.malformed + 1);
    assert.equal(hm.counters.dropped['unknown-amphora'], dropped['unknown-amphora'] + 1);
  });

  it('ignores the heartbeats of a DELETED amphora', async () => {
    const ghost = newId();
    await insertAmphora(ghost, tree.lbId, 'DELETED');
    const before = await takeDbSnapshot(svc.node.db);
    const unknown = hm.counters.dropped['unknown-amphora'];
    await send(heartbeat({ amphoraId: ghost, members: ['DOWN', 'DOWN'] }));
    assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'a DELETED amphora heartbeat');
    assert.equal(hm.counters.dropped['unknown-amphora'], unknown + 1);
    await svc.node.db.kysely.deleteFrom('amphora').where('id', '=', ghost).execute();
  });

  it('does not refresh the health of an amphora that misses a listener, but applies its statuses', async () => {
    await send(heartbeat());
    const refreshed = await health();
    await new Promise((r) => setTimeout(r, 5));
    const message = heartbeat({ listeners: false });
    await send(message);
    const row = await health();
    assert.equal(Number(row.last_seq), message.seq);
    assert.equal(row.last_update_ms, refreshed.last_update_ms);
    assert.equal((await statuses()).listener, 'ERROR');
    await send(heartbeat());
    assert.ok(Number((await health()).last_update_ms) > Number(refreshed.last_update_ms));
    assert.equal((await statuses()).listener, 'ONLINE');
  });

  it('applies several heartbeats of one amphora in one batch in sequence order', async () => {
    const start = await listenerStats();
    const first = heartbeat({ members: ['DOWN', 'UP'], stats: { rx: 1, totconns: 1 } });
    const second = heartbeat({ members: ['UP', 'UP'], stats: { rx: 2, totconns: 1 } });
    // Newest first, and the newest twice: applied oldest first, the copy refused as a replay.
    const receivedMs = Date.now();
    const batch = [second, first, second].map((message) => ({ message, receivedMs }));
    const result = await applyBatch(svc.node.db, new HealthGraphCache(10_000), batch, Date.now());
    assert.deepEqual(
      result.accepted.map((hb) => hb.message.seq),
      [first.seq, second.seq],
    );
    assert.equal(result.dropped['stale-seq']?.length, 1);
    assert.equal(Number((await health()).last_seq), second.seq);
    assert.deepEqual((await statuses()).members, ['ONLINE', 'ONLINE']);
    assert.equal((await listenerStats()).bytes_in, start.bytes_in + 3);
    // Only the net effect is written: member 1 went DOWN and back UP within the batch.
    assert.equal(result.statusWrites, 0);
  });

  it('lets a second health manager on the same database refuse a replay the first accepted', async () => {
    const otherDb = secondDatabase();
    const other = await startManager(otherDb.db);
    try {
      const message = heartbeat({ members: ['DOWN', 'UP'], stats: { rx: 7, totconns: 1 } });
      await send(message, hm);
      const before = await takeDbSnapshot(svc.node.db);
      await send(message, other);
      assertSameSnapshot(await takeDbSnapshot(svc.node.db), before, 'a replay to the second manager');
      assert.equal(other.counters.dropped['stale-seq'], 1);
      assert.equal(other.counters.accepted, 0);

      // A newer heartbeat to the second one is applied, and the first one sees its writes.
      await send(heartbeat(), other);
      assert.equal(other.counters.accepted, 1);
      assert.deepEqual(await statuses(), {
        lb: 'ONLINE',
        listener: 'ONLINE',
        pool: 'ONLINE',
        members: ['ONLINE', 'ONLINE'],
      });
      await send(heartbeat({ members: ['UP', 'DOWN'] }), hm);
      assert.deepEqual((await statuses()).members, ['ONLINE', 'ERROR']);
      await send(heartbeat(), other);
      await send(heartbeat({ members: ['UP', 'UP'] }), hm);
      assert.deepEqual((await statuses()).members, ['ONLINE', 'ONLINE']);
    } finally {
      await other.stop();
      await otherDb.close();
    }
  });

  it('lets two managers that receive the same heartbeats at once apply each of them exactly once', async () => {
    const otherDb = secondDatabase();
    const other = await startManager(otherDb.db);
    try {
      const start = await listenerStats();
      const accepted = hm.counters.accepted;
      const received = [hm.counters.received, other.counters.received];
      const messages = Array.from({ length: 60 }, (_, i) =>
        heartbeat({ members: i % 2 ? ['UP', 'UP'] : ['DOWN', 'UP'], stats: { rx: 1, totconns: 1 } }),
      );
      // Every datagram to both, without waiting: the two managers race for each sequence number.
      for (const m of messages) {
        const datagram = encodeEnvelope(orderedMessage(m), KEY);
        for (const to of [hm, other])
          await new Promise<void>((resolve, reject) =>
            sender.send(datagram, to.address.port, to.address.host, (err) => (err ? reject(err) : resolve())),
          );
      }
      await waitFor(
        () => hm.counters.received >= received[0]! + 60 && other.counters.received >= received[1]! + 60,
        'both managers to receive every heartbeat',
      );
      await Promise.all([hm.idle(), other.idle()]);
      const taken = hm.counters.accepted - accepted + other.counters.accepted;
      assert.ok(taken >= 1 && taken <= 60, `taken ${taken}`);
      const stats = await listenerStats();
      // Each heartbeat carries one connection and one byte in: counted once per heartbeat taken.
      assert.equal(stats.total_connections - start.total_connections, taken);
      assert.equal(stats.bytes_in - start.bytes_in, taken);
      assert.equal(Number((await health()).last_seq), messages[59]!.seq);
      assert.deepEqual((await statuses()).members, ['ONLINE', 'ONLINE']);
    } finally {
      await other.stop();
      await otherDb.close();
    }
  });

  it('refuses to start on an address already in use', async () => {
    await assert.rejects(
      startHealthManager({
        db: svc.node.db,
        config: { ...svc.config, health: { ...svc.config.health, host: hm.address.host, port: hm.address.port } },
        log: createLogger('silent'),
        key: KEY,
      }),
      /EADDRINUSE/,
    );
  });

  async function insertAmphora(id: string, lbId: string | null, status = 'ALLOCATED'): Promise<void> {
    await svc.node.db.kysely
      .insertInto('amphora')
      .values({
        id,
        load_balancer_id: lbId,
        compute_id: null,
        lb_network_ip: null,
        vrrp_ip: null,
        ha_ip: null,
        vrrp_port_id: null,
        ha_port_id: null,
        cert_expiration: null,
        cert_busy: false,
        role: 'STANDALONE',
        status,
        vrrp_interface: null,
        vrrp_id: null,
        vrrp_priority: null,
        cached_zone: null,
        image_id: null,
        compute_flavor: null,
        created_at: nowTimestamp(),
        updated_at: null,
      })
      .execute();
  }

  it('keeps a failed-over amphora counters in the totals, without its stale connection gauge', async () => {
    await send(heartbeat({ stats: { conns: 3 } }));
    const before = await listenerStats();
    assert.equal(before.active_connections, 3);
    // The failover flow builds a new amphora and deletes the old row; the health manager keeps its counters.
    const replacement = newId();
    await insertAmphora(replacement, tree.lbId);
    await svc.node.db.kysely.deleteFrom('amphora').where('id', '=', tree.amphoraId).execute();
    let stats = await listenerStats();
    assert.deepEqual(stats, { ...before, active_connections: 0 });

    await send(heartbeat({ amphoraId: replacement, stats: { rx: 10, tx: 20, conns: 2, totconns: 1, ereq: 0 } }));
    stats = await listenerStats();
    assert.deepEqual(stats, {
      bytes_in: before.bytes_in + 10,
      bytes_out: before.bytes_out + 20,
      active_connections: 2,
      total_connections: before.total_connections + 1,
      request_errors: before.request_errors,
    });
    const lbStats = (await svc.get(`/v2/lbaas/loadbalancers/${tree.lbId}/stats`)).body.stats;
    assert.deepEqual(lbStats, stats);
    const amphoraStats = await svc.get(`/v2/octavia/amphorae/${replacement}/stats`);
    assert.equal(amphoraStats.status, 200);
    assert.deepEqual(amphoraStats.body, {
      amphora_stats: [
        {
          id: replacement,
          listener_id: tree.listenerId,
          loadbalancer_id: tree.lbId,
          active_connections: 2,
          bytes_in: 10,
          bytes_out: 20,
          request_errors: 0,
          total_connections: 1,
        },
      ],
    });
    tree.amphoraId = replacement;
  });

  it('answers the statistics of several listeners summed for the load balancer', async () => {
    const second = await svc.post('/v2/lbaas/listeners', {
      listener: { loadbalancer_id: tree.lbId, protocol: 'TCP', protocol_port: 81, name: 'tcp' },
    });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    await svc.settle();
    const listenerBefore = await listenerStats();
    await send({
      ...heartbeat(),
      listeners: {
        [tree.listenerId]: { status: 'OPEN', stats: { tx: 1, rx: 2, conns: 3, totconns: 4, ereq: 5 } },
        [second.body.listener.id]: { status: 'OPEN', stats: { tx: 10, rx: 20, conns: 30, totconns: 40, ereq: 50 } },
      },
    });
    const other = (await svc.get(`/v2/lbaas/listeners/${second.body.listener.id}/stats`)).body.stats;
    assert.deepEqual(other, {
      bytes_in: 20,
      bytes_out: 10,
      active_connections: 30,
      total_connections: 40,
      request_errors: 50,
    });
    const first = await listenerStats();
    const lb = (await svc.get(`/v2/lbaas/loadbalancers/${tree.lbId}/stats`)).body.stats;
    assert.deepEqual(lb, {
      bytes_in: first.bytes_in + 20,
      bytes_out: first.bytes_out + 10,
      active_connections: first.active_connections + 30,
      total_connections: first.total_connections + 40,
      request_errors: first.request_errors + 50,
    });
    assert.equal(first.bytes_in, listenerBefore.bytes_in + 2);
    assert.equal((await statuses()).listener, 'ONLINE');
  });
});
