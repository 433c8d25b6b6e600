import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestService } from '../helpers/service.js';
import {
  BACKEND_ADDRESSES,
  createTrafficLoadBalancer,
  freePorts,
  HttpBackend,
  httpGet,
  memberOf,
  namesOf,
  waitFor,
  type TrafficLoadBalancer,
} from '../helpers/traffic.js';

/**
 * Health from end to end, as the seeds walk through it: a real amphora's agent reads HAProxy's state and
 * sends signed heartbeats; the node's health manager turns them into operating statuses and statistics that
 * the status tree and stats APIs show.
 */

const [A, B] = BACKEND_ADDRESSES;
const DELAY_S = 1;
const MAX_RETRIES_DOWN = 2;
/** delay x max_retries_down, plus a heartbeat interval and a batch, plus slack for a busy 2-core machine. */
const DETECT_MS = DELAY_S * MAX_RETRIES_DOWN * 1000 + 5000;

interface Stats {
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
}

interface StatusTree {
  statuses: {
    loadbalancer: {
      operating_status: string;
      listeners: Array<{
        operating_status: string;
        pools: Array<{ operating_status: string; members: Array<{ name: string; operating_status: string }> }>;
      }>;
    };
  };
}

describe('health: heartbeats, operating statuses and statistics', () => {
  let s: TestService;
  let lb: TrafficLoadBalancer;
  let a: HttpBackend, b: HttpBackend;

  before(async () => {
    s = await TestService.start({ drivers: { compute: 'process', network: 'loopback', amphora: 'rest' } });
    [a, b] = await Promise.all([HttpBackend.start('a', A), HttpBackend.start('b', B)]);
    const [port] = await freePorts(1);
    lb = await createTrafficLoadBalancer(s, {
      name: 'health',
      listeners: [
        {
          name: 'web',
          protocol: 'HTTP',
          protocol_port: port,
          default_pool: {
            name: 'pool',
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            members: [memberOf(a), memberOf(b)],
            healthmonitor: {
              type: 'HTTP',
              delay: DELAY_S,
              timeout: 1,
              max_retries: 1,
              max_retries_down: MAX_RETRIES_DOWN,
              url_path: '/',
            },
          },
        },
      ],
    });
  });

  after(async () => {
    await s?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const tree = async (): Promise<StatusTree['statuses']['loadbalancer']> => {
    const res = await s.get<StatusTree>(`/v2/lbaas/loadbalancers/${lb.id}/status`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.statuses.loadbalancer;
  };
  const memberStatuses = (t: StatusTree['statuses']['loadbalancer']) =>
    Object.fromEntries(t.listeners[0]!.pools[0]!.members.map((m) => [m.name, m.operating_status]));

  it('reports ONLINE, then ERROR / DEGRADED for a dead member while the healthy one serves, then ONLINE again', async () => {
    const online = await waitFor('everything ONLINE', 15_000, async () => {
      const t = await tree();
      const members = memberStatuses(t);
      return t.operating_status === 'ONLINE' && members.a === 'ONLINE' && members.b === 'ONLINE' ? t : undefined;
    });
    assert.equal(online.listeners[0]!.operating_status, 'ONLINE');
    assert.equal(online.listeners[0]!.pools[0]!.operating_status, 'ONLINE');

    await a.stop();
    const stoppedAt = Date.now();
    const degraded = await waitFor('member a ERROR, pool and load balancer DEGRADED', DETECT_MS, async () => {
      const t = await tree();
      return memberStatuses(t).a === 'ERROR' ? t : undefined;
    });
    const detectMs = Date.now() - stoppedAt;
    assert.equal(memberStatuses(degraded).b, 'ONLINE');
    assert.equal(degraded.listeners[0]!.pools[0]!.operating_status, 'DEGRADED');
    assert.equal(degraded.operating_status, 'DEGRADED');
    assert.ok(detectMs < DETECT_MS, `detected after ${detectMs} ms`);
    const member = await s.get(`/v2/lbaas/pools/${lb.pools.pool}/members/${lb.members.pool!.a}`);
    assert.equal(member.body.member.operating_status, 'ERROR', 'the member API shows it too');
    // Every request is answered, by the healthy member.
    assert.deepEqual(await namesOf(lb.listeners.web!.endpoint, 10), Array(10).fill('b'));

    await a.restart();
    await waitFor('member a ONLINE and the load balancer ONLINE again', DETECT_MS, async () => {
      const t = await tree();
      return memberStatuses(t).a === 'ONLINE' && t.operating_status === 'ONLINE' ? t : undefined;
    });
    const names = await waitFor('member a back in the rotation', 10_000, async () => {
      const got = await namesOf(lb.listeners.web!.endpoint, 6);
      return got.includes('a') && got.includes('b') ? got : undefined;
    });
    assert.ok(names.length === 6);
  });

  it('counts the traffic the test sends in the load balancer and listener statistics', async () => {
    const stats = async () => {
      const [lbStats, listenerStats] = await Promise.all([
        s.get(`/v2/lbaas/loadbalancers/${lb.id}/stats`),
        s.get(`/v2/lbaas/listeners/${lb.listeners.web!.id}/stats`),
      ]);
      assert.equal(lbStats.status, 200);
      assert.equal(listenerStats.status, 200);
      assert.deepEqual(lbStats.body.stats, listenerStats.body.stats, 'one listener: the same counters');
      return lbStats.body.stats as Stats;
    };
    // Quiet first: the counters settle once the previous test's requests are reported.
    let before = await stats();
    before = await waitFor('counters steady', 10_000, async () => {
      await new Promise((r) => setTimeout(r, 1500));
      const now = await stats();
      const steady = now.total_connections === before.total_connections && now.bytes_in === before.bytes_in;
      before = now;
      return steady ? now : undefined;
    });

    const REQUESTS = 25;
    let bytesSent = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const answer = await httpGet(lb.listeners.web!.endpoint, `/counted-${i}`);
      assert.match(answer.body, /^[ab]$/);
      bytesSent += `GET /counted-${i}`.length;
    }
    const after = await waitFor(`${REQUESTS} more connections counted`, 10_000, async () => {
      const now = await stats();
      return now.total_connections - before.total_connections >= REQUESTS ? now : undefined;
    });
    assert.equal(after.total_connections - before.total_connections, REQUESTS, 'one connection per request');
    assert.ok(after.bytes_in - before.bytes_in >= bytesSent, 'at least the request lines came in');
    assert.ok(after.bytes_out - before.bytes_out >= REQUESTS, 'at least one byte per answer went out');
    assert.equal(after.request_errors - before.request_errors, 0);
    for (const key of ['bytes_in', 'bytes_out', 'total_connections'] as const)
      assert.ok(after[key] >= before[key], `${key} never goes backwards`);
  });
});
