import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { TestService } from '../helpers/service.js';
import {
  BACKEND_ADDRESSES,
  change,
  createTrafficLoadBalancer,
  freePorts,
  HttpBackend,
  httpGet,
  memberOf,
  namesOf,
  tally,
  waitFor,
  type Endpoint,
  type TrafficLoadBalancer,
} from '../helpers/traffic.js';

/**
 * Real HTTP through one load balancer (one amphora process, one HAProxy) with a listener per scenario:
 * round robin, weights, disabled members and pools, a PUT to SOURCE_IP, member deletes, least connections,
 * SOURCE_IP_PORT, the three session persistence types, and a backup member behind a health monitor.
 */

const [A, B, C] = BACKEND_ADDRESSES;

describe('traffic: balancing algorithms, weights and member states', () => {
  let svc: TestService | undefined;
  let lb: TrafficLoadBalancer;
  const backends: HttpBackend[] = [];
  let a: HttpBackend, b: HttpBackend, c: HttpBackend;
  /** The backup scenario stops its primary, so it has backends of its own. */
  let primary: HttpBackend, standby: HttpBackend;
  const at = (listener: string): Endpoint => lb.listeners[listener]!.endpoint;
  const memberPath = (pool: string, member: string) =>
    `/v2/lbaas/pools/${lb.pools[pool]}/members/${lb.members[pool]![member]}`;

  before(async () => {
    svc = await TestService.start({ drivers: { compute: 'process', network: 'loopback', amphora: 'rest' } });
    [a, b, c] = await Promise.all([HttpBackend.start('a', A), HttpBackend.start('b', B), HttpBackend.start('c', C)]);
    [primary, standby] = await Promise.all([HttpBackend.start('primary', A), HttpBackend.start('standby', B)]);
    backends.push(a, b, c, primary, standby);
    const ports = await freePorts(7);
    const pool = (name: string, algorithm: string, members: HttpBackend[], extra: object = {}) => ({
      name,
      protocol: 'HTTP',
      lb_algorithm: algorithm,
      members: members.map((m) => memberOf(m)),
      ...extra,
    });
    const listener = (name: string, defaultPool: object) => ({
      name,
      protocol: 'HTTP',
      protocol_port: ports.pop(),
      default_pool: defaultPool,
    });
    lb = await createTrafficLoadBalancer(svc, {
      name: 'balancing',
      listeners: [
        listener('rr', pool('rr', 'ROUND_ROBIN', [a, b, c])),
        listener('lc', pool('lc', 'LEAST_CONNECTIONS', [a, b])),
        listener('srcport', pool('srcport', 'SOURCE_IP_PORT', [a, b, c])),
        listener('src', pool('src', 'ROUND_ROBIN', [a, b, c], { session_persistence: { type: 'SOURCE_IP' } })),
        listener('cookie', pool('cookie', 'ROUND_ROBIN', [a, b], { session_persistence: { type: 'HTTP_COOKIE' } })),
        listener(
          'app',
          pool('app', 'ROUND_ROBIN', [a, b], { session_persistence: { type: 'APP_COOKIE', cookie_name: 'SESSIONID' } }),
        ),
        listener('backup', {
          ...pool('backup', 'ROUND_ROBIN', []),
          members: [memberOf(primary), memberOf(standby, { backup: true })],
          // Checked every second, down after one failure and up after one success: a quick switch.
          healthmonitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1, url_path: '/' },
        }),
      ],
    });
  });

  after(async () => {
    await svc?.stop();
    await Promise.all(backends.map((x) => x.stop()));
  });

  it('ROUND_ROBIN takes every member in turn', async () => {
    const names = await namesOf(at('rr'), 9);
    assert.deepEqual(tally(names), { a: 3, b: 3, c: 3 }, names.join());
    for (let i = 1; i < names.length; i++) assert.notEqual(names[i], names[i - 1], names.join());
  });

  it('a member with admin_state_up=false gets no requests, and gets them again when enabled', async () => {
    await change(svc!, 'PUT', memberPath('rr', 'b'), { member: { admin_state_up: false } });
    assert.deepEqual(tally(await namesOf(at('rr'), 8)), { a: 4, c: 4 });
    await change(svc!, 'PUT', memberPath('rr', 'b'), { member: { admin_state_up: true } });
    assert.deepEqual(tally(await namesOf(at('rr'), 9)), { a: 3, b: 3, c: 3 });
  });

  it('weights split the traffic in proportion; weight 0 gets nothing', async () => {
    await change(svc!, 'PUT', memberPath('rr', 'a'), { member: { weight: 3 } });
    await change(svc!, 'PUT', memberPath('rr', 'c'), { member: { weight: 0 } });
    const counts = tally(await namesOf(at('rr'), 40));
    // HAProxy's weighted round robin is smooth and periodic (a a b a ...), so 40 requests split 30:10.
    assert.equal(counts.c, undefined, JSON.stringify(counts));
    assert.ok(Math.abs(counts.a! - 30) <= 2 && Math.abs(counts.b! - 10) <= 2, JSON.stringify(counts));
  });

  it('SOURCE_IP set by PUT on the pool keeps each client on one member', async () => {
    // Under round robin one client alternates between members.
    const before = await namesOf(at('rr'), 8, { localAddress: '127.0.0.2' });
    assert.ok(new Set(before).size > 1, before.join());
    await change(svc!, 'PUT', `/v2/lbaas/pools/${lb.pools.rr}`, { pool: { lb_algorithm: 'SOURCE_IP' } });
    for (const client of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      const names = await namesOf(at('rr'), 10, { localAddress: client });
      assert.equal(new Set(names).size, 1, `${client}: ${names.join()}`);
      assert.notEqual(names[0], 'c', 'weight 0 still gets nothing');
    }
  });

  it('a deleted member leaves the rotation', async () => {
    await change(svc!, 'PUT', `/v2/lbaas/pools/${lb.pools.rr}`, { pool: { lb_algorithm: 'ROUND_ROBIN' } });
    await change(svc!, 'PUT', memberPath('rr', 'c'), { member: { weight: 1 } });
    await change(svc!, 'DELETE', memberPath('rr', 'a'));
    const names = await namesOf(at('rr'), 8);
    assert.deepEqual(tally(names), { b: 4, c: 4 });
  });

  it('LEAST_CONNECTIONS sends new requests to the member with fewer connections', async () => {
    assert.deepEqual(tally(await namesOf(at('lc'), 4)), { a: 2, b: 2 });
    const held = httpGet(at('lc'), '/hold', { timeoutMs: 8000 });
    const busy = await waitFor('a held request', 3000, async () => backends.find((x) => x.holding > 0));
    const idle = busy === a ? 'b' : 'a';
    try {
      assert.deepEqual(await namesOf(at('lc'), 6), Array(6).fill(idle));
    } finally {
      busy.release();
    }
    assert.equal((await held).body, busy.name);
  });

  it('a pool with admin_state_up=false answers 503, and serves again when enabled', async () => {
    const poolPath = `/v2/lbaas/pools/${lb.pools.lc}`;
    await change(svc!, 'PUT', poolPath, { pool: { admin_state_up: false } });
    assert.equal((await httpGet(at('lc'))).status, 503);
    await change(svc!, 'PUT', poolPath, { pool: { admin_state_up: true } });
    assert.deepEqual(tally(await namesOf(at('lc'), 4)), { a: 2, b: 2 });
  });

  it('SOURCE_IP_PORT keeps one connection on one member and spreads new connections', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const kept = await namesOf(at('srcport'), 6, { agent });
      assert.equal(new Set(kept).size, 1, kept.join());
    } finally {
      agent.destroy();
    }
    // Every new connection has a new source port: 12 of them all hashing to one of 3 members is
    // a 1 in 3^11 event.
    assert.ok(new Set(await namesOf(at('srcport'), 12)).size > 1);
  });

  it('SOURCE_IP persistence keeps each client on the member it first reached', async () => {
    const first: string[] = [];
    for (const client of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      const names = await namesOf(at('src'), 6, { localAddress: client });
      assert.equal(new Set(names).size, 1, `${client}: ${names.join()}`);
      first.push(names[0]!);
    }
    // New clients are still placed round robin.
    assert.deepEqual(new Set(first), new Set(['a', 'b', 'c']));
  });

  it('HTTP_COOKIE persistence sticks to the member named by the cookie HAProxy sets', async () => {
    const plain = await namesOf(at('cookie'), 6);
    for (let i = 1; i < plain.length; i++) assert.notEqual(plain[i], plain[i - 1], plain.join());
    for (const wanted of ['a', 'b']) {
      const answer = await waitFor(`an answer from ${wanted}`, 2000, async () => {
        const res = await httpGet(at('cookie'));
        return res.body === wanted ? res : undefined;
      });
      const cookie = (answer.headers['set-cookie'] ?? [])
        .map((c) => c.split(';')[0]!)
        .find((c) => c.startsWith('SRV='));
      assert.equal(cookie, `SRV=${lb.members.cookie![wanted]}`, 'the cookie names the member');
      const names = await namesOf(at('cookie'), 6, { headers: { cookie: cookie! } });
      assert.deepEqual(names, Array(6).fill(wanted));
    }
  });

  it('APP_COOKIE persistence learns the application cookie and sticks to its member', async () => {
    const plain = await namesOf(at('app'), 4, { path: '/session' });
    assert.deepEqual(tally(plain), { a: 2, b: 2 });
    for (const wanted of ['a', 'b']) {
      const answer = await waitFor(`a session from ${wanted}`, 2000, async () => {
        const res = await httpGet(at('app'), '/session');
        return res.body === wanted ? res : undefined;
      });
      const cookie = answer.headers['set-cookie']![0]!.split(';')[0]!;
      assert.match(cookie, new RegExp(`^SESSIONID=${wanted}-\\d+$`));
      const names = await namesOf(at('app'), 6, { path: '/session', headers: { cookie } });
      assert.deepEqual(names, Array(6).fill(wanted));
    }
  });

  it('a backup member serves only while every other member is down', async () => {
    assert.deepEqual(await namesOf(at('backup'), 4), Array(4).fill('primary'));
    const servedBy = (name: string) => async () => {
      const res = await httpGet(at('backup'));
      return res.status === 200 && res.body === name ? true : undefined;
    };
    await primary.stop();
    // The health monitor (delay 1 s, one failure) marks the primary down within about two seconds.
    await waitFor('the backup takes over', 6000, servedBy('standby'));
    assert.deepEqual(await namesOf(at('backup'), 4), Array(4).fill('standby'));
    await primary.restart();
    await waitFor('the primary is back', 6000, servedBy('primary'));
    assert.deepEqual(await namesOf(at('backup'), 4), Array(4).fill('primary'));
  });
});
