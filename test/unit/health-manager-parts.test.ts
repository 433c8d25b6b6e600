import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeEnvelope } from '../../src/heartbeat/envelope.js';
import type { HeartbeatMessage } from '../../src/heartbeat/message.js';
import { chunksFor, inList, valuesList } from '../../src/health/bulk-sql.js';
import { CLOCK_SKEW_MS, HealthGraphCache, isEntryCurrent, isVolatile } from '../../src/health/graph-cache.js';
import type { HealthGraph, HealthLoadBalancer } from '../../src/health/health-graph.js';
import { openDatagram } from '../../src/health/heartbeat-intake.js';
import { LagHistogram } from '../../src/health/lag-histogram.js';
import { RateLimitedLog } from '../../src/health/rate-limited-log.js';
import { mergeContributions, statsContributions } from '../../src/health/statistics.js';

const message = (over: Partial<HeartbeatMessage> = {}): HeartbeatMessage => ({
  id: 'AMP',
  seq: 1,
  listeners: {
    L1: { status: 'OPEN', stats: { tx: 10, rx: 20, conns: 3, totconns: 4, ereq: 1 } },
    L2: { status: 'OPEN', stats: { tx: -5, rx: 7, conns: 0, totconns: -1, ereq: 0 } },
    GONE: { status: 'OPEN', stats: { tx: 1, rx: 1, conns: 1, totconns: 1, ereq: 1 } },
  },
  pools: {},
  ver: 3,
  ...over,
});

describe('heartbeat statistics', () => {
  it('keeps the counters of known listeners, a negative delta counted as nothing', () => {
    const rows = statsContributions(message(), 'AMP', new Set(['L1', 'L2']));
    assert.deepEqual(rows, [
      {
        listenerId: 'L1',
        amphoraId: 'AMP',
        mode: 'add',
        bytesIn: 20,
        bytesOut: 10,
        activeConnections: 3,
        totalConnections: 4,
        requestErrors: 1,
      },
      {
        listenerId: 'L2',
        amphoraId: 'AMP',
        mode: 'add',
        bytesIn: 7,
        bytesOut: 0,
        activeConnections: 0,
        totalConnections: 0,
        requestErrors: 0,
      },
    ]);
  });

  it('treats version 2 counters as absolute values', () => {
    const rows = statsContributions(message({ ver: 2 }), 'AMP', new Set(['L1']));
    assert.equal(rows[0]!.mode, 'max');
  });

  it('sums deltas, keeps the largest absolute value and the last gauge when a batch holds several messages', () => {
    const known = new Set(['L1']);
    const first = statsContributions(message(), 'AMP', known);
    const second = statsContributions(
      message({ listeners: { L1: { status: 'OPEN', stats: { tx: 1, rx: 2, conns: 9, totconns: 1, ereq: 0 } } } }),
      'AMP',
      known,
    );
    assert.deepEqual(mergeContributions([...first, ...second]), [
      {
        listenerId: 'L1',
        amphoraId: 'AMP',
        mode: 'add',
        bytesIn: 22,
        bytesOut: 11,
        activeConnections: 9,
        totalConnections: 5,
        requestErrors: 1,
      },
    ]);
    const v2 = (rx: number, conns: number) =>
      statsContributions(
        message({ ver: 2, listeners: { L1: { status: 'OPEN', stats: { tx: 0, rx, conns, totconns: 0, ereq: 0 } } } }),
        'AMP',
        known,
      );
    const merged = mergeContributions([...v2(100, 1), ...v2(40, 2)]);
    assert.equal(merged.length, 1);
    assert.equal(merged[0]!.bytesIn, 100);
    assert.equal(merged[0]!.activeConnections, 2);
  });
});

describe('health graph cache', () => {
  const NOW = Date.parse('2030-01-01T00:00:30Z');
  const lb = (over: Partial<HealthLoadBalancer> = {}): HealthLoadBalancer => ({
    id: 'LB',
    enabled: true,
    provisioningStatus: 'ACTIVE',
    operatingStatus: 'ONLINE',
    updatedAt: '2030-01-01T00:00:00',
    ...over,
  });
  const graph = (over: Partial<HealthLoadBalancer> = {}): HealthGraph => ({
    loadBalancer: lb(over),
    listeners: [],
    pools: [],
  });
  const entry = (over: Partial<HealthLoadBalancer> = {}) => ({
    graph: graph(over),
    loadedAtMs: NOW,
    expiresAtMs: NOW + 10_000,
    volatile: false,
    appliedSeq: new Map([['AMP', 7]]),
  });
  const seqs = [{ amphoraId: 'AMP', storedSeq: 7 }];

  it('marks an entry volatile when the load balancer is PENDING or changed within the same second', () => {
    assert.equal(isVolatile(lb(), NOW), false);
    assert.equal(isVolatile(lb({ provisioningStatus: 'PENDING_UPDATE' }), NOW), true);
    assert.equal(isVolatile(lb({ updatedAt: '2030-01-01T00:00:30' }), NOW), true);
    const changed = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(isVolatile(lb(), changed + 1000 + CLOCK_SKEW_MS - 1), true);
    assert.equal(isVolatile(lb(), changed + 1000 + CLOCK_SKEW_MS), false);
    assert.equal(isVolatile(lb({ updatedAt: null }), NOW), false);
  });

  it('uses an entry only while the load balancer row and the stored sequence numbers match it', () => {
    assert.equal(isEntryCurrent(entry(), lb(), seqs, NOW + 1), true);
    assert.equal(isEntryCurrent(entry(), lb({ updatedAt: '2030-01-01T00:00:31' }), seqs, NOW), false);
    assert.equal(isEntryCurrent(entry(), lb({ provisioningStatus: 'PENDING_UPDATE' }), seqs, NOW), false);
    assert.equal(isEntryCurrent(entry(), lb({ enabled: false }), seqs, NOW), false);
    assert.equal(isEntryCurrent(entry(), lb({ operatingStatus: 'ERROR' }), seqs, NOW), false);
    // Another health manager applied a heartbeat of the amphora since this one did.
    assert.equal(isEntryCurrent(entry(), lb(), [{ amphoraId: 'AMP', storedSeq: 8 }], NOW), false);
    assert.equal(isEntryCurrent(entry(), lb(), [{ amphoraId: 'NEW', storedSeq: undefined }], NOW), false);
    assert.equal(isEntryCurrent(entry(), lb(), seqs, NOW + 10_000), false);
    assert.equal(isEntryCurrent({ ...entry(), volatile: true }, lb(), seqs, NOW), false);
  });

  it('serves a stored graph once this manager recorded the amphora sequence, and forgets on request', () => {
    const cache = new HealthGraphCache(10_000, () => 1);
    cache.store(graph(), NOW);
    assert.equal(cache.current(lb(), seqs, NOW), undefined);
    cache.recordApplied('LB', 'AMP', 7);
    assert.ok(cache.current(lb(), seqs, NOW));
    cache.forget('LB');
    assert.equal(cache.current(lb(), seqs, NOW), undefined);
    cache.store(graph(), NOW);
    cache.recordApplied('LB', 'AMP', 7);
    assert.ok(cache.current(lb(), seqs, NOW + 14_999), 'within the stretched time to live');
    assert.equal(cache.current(lb(), seqs, NOW + 15_000), undefined, 'expired');
    cache.sweep(NOW + 24_999);
    assert.equal(cache.size, 1);
    cache.sweep(NOW + 25_000);
    assert.equal(cache.size, 0);
  });
});

describe('bulk statements', () => {
  it('splits rows into a few fixed chunk sizes on SQLite and large chunks on PostgreSQL', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => i);
    const sqlite = chunksFor('sqlite', rows);
    assert.deepEqual(
      sqlite.map((c) => c.length),
      [256, 256, 256, 64, 64, 64, 16, 16, 4, 4],
    );
    assert.deepEqual(sqlite.flat(), rows);
    assert.deepEqual(
      chunksFor('postgres', [...rows, ...rows]).map((c) => c.length),
      [1000, 1000],
    );
    assert.deepEqual(chunksFor('sqlite', []), []);
  });

  it('writes placeholders in each dialect', () => {
    assert.equal(valuesList('sqlite', 2, 2), '(?, ?), (?, ?)');
    assert.equal(valuesList('postgres', 2, 2), '($1, $2), ($3, $4)');
    assert.equal(inList('postgres', 3, 1), '$2, $3, $4');
    assert.equal(inList('sqlite', 2), '?, ?');
  });
});

describe('heartbeat intake', () => {
  const hb = message();
  it('opens a signed heartbeat and names why another datagram was refused', () => {
    const datagram = encodeEnvelope(hb, 'key');
    assert.deepEqual(openDatagram(datagram, 'key'), { message: hb });
    assert.deepEqual(openDatagram(datagram, 'other'), { rejected: 'bad-signature' });
    assert.deepEqual(openDatagram(datagram.subarray(0, 20), 'key'), { rejected: 'too-short' });
    assert.deepEqual(openDatagram(encodeEnvelope({ ...hb, seq: 'x' }, 'key'), 'key'), { rejected: 'malformed' });
    assert.deepEqual(openDatagram(encodeEnvelope({ ...hb, ver: 1 }, 'key'), 'key'), { rejected: 'malformed' });
  });
});

describe('lag histogram', () => {
  it('gives bucket bounds for percentiles, capped by the largest value seen', () => {
    const h = new LagHistogram();
    assert.equal(h.percentileMs(50), 0);
    for (let i = 0; i < 98; i++) h.record(3);
    h.record(150);
    h.record(700);
    assert.equal(h.percentileMs(50), 5);
    assert.equal(h.percentileMs(99), 200);
    assert.equal(h.percentileMs(100), 700);
    assert.equal(h.maxMs, 700);
    assert.equal(h.count, 100);
  });
});

describe('rate-limited log', () => {
  it('writes one line per kind and interval, carrying how many it stood for', () => {
    const lines: Array<Record<string, unknown>> = [];
    let now = 0;
    const log = { warn: (o: Record<string, unknown>) => lines.push(o) } as never;
    const limited = new RateLimitedLog(log, 1000, () => now);
    for (let i = 0; i < 5; i++) limited.note('warn', 'a', { i }, 'm');
    limited.note('warn', 'b', {}, 'm');
    now = 1000;
    limited.note('warn', 'a', { i: 9 }, 'm');
    assert.deepEqual(lines, [{ kind: 'a', i: 0 }, { kind: 'b' }, { kind: 'a', i: 9, similarSinceLastLog: 4 }]);
  });
});
