import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ListenerTotals } from '../../src/amphora/agent/heartbeat/counter-ledger.js';
import {
  buildHeartbeat,
  listenerStatus,
  memberStatus,
  poolStatus,
} from '../../src/amphora/agent/heartbeat/message-builder.js';
import type { FrontendStat, HaproxyStats, ServerStat } from '../../src/amphora/agent/heartbeat/show-stat.js';
import { orderedMessage, parseHeartbeat } from '../../src/heartbeat/message.js';
import { pythonJson } from '../../src/heartbeat/python-json.js';

const frontend = (over: Partial<FrontendStat> = {}): FrontendStat => ({
  name: 'l1',
  status: 'OPEN',
  scur: 0,
  slim: 100,
  stot: 0,
  bin: 0,
  bout: 0,
  ereq: 0,
  ...over,
});
const server = (status: string, weight = 1): ServerStat => ({
  backend: 'b',
  name: 's',
  status,
  weight,
  checkStatus: '',
  stot: 0,
});

describe('heartbeat message', () => {
  it('maps HAProxy server states to the member statuses the health manager reads', () => {
    const cases: Array<[string, number, string]> = [
      ['UP', 1, 'UP'],
      ['UP', 0, 'DRAIN'],
      ['UP 1/3', 1, 'UP 1/3'],
      ['UP 2/3', 0, 'DRAIN'],
      ['DRAIN', 0, 'DRAIN'],
      ['NOLB', 1, 'DRAIN'],
      ['DOWN', 1, 'DOWN'],
      ['DOWN 1/2', 1, 'DOWN 1/2'],
      ['DOWN', 0, 'DOWN'],
      ['MAINT', 1, 'MAINT'],
      ['MAINT (via b/x)', 1, 'MAINT'],
      ['MAINT (resolution)', 1, 'MAINT'],
      ['no check', 1, 'no check'],
      ['no check', 0, 'no check'],
    ];
    for (const [status, weight, expected] of cases)
      assert.equal(memberStatus(server(status, weight)), expected, `${status} weight ${weight}`);
  });

  it('says FULL when a listener reached its connection limit', () => {
    assert.equal(listenerStatus(frontend({ scur: 99, slim: 100 })), 'OPEN');
    assert.equal(listenerStatus(frontend({ scur: 100, slim: 100 })), 'FULL');
    assert.equal(listenerStatus(frontend({ status: 'FULL', scur: 3 })), 'FULL');
    assert.equal(listenerStatus(frontend({ scur: 5000, slim: undefined })), 'OPEN');
    assert.equal(listenerStatus(frontend({ scur: 0, slim: 0 })), 'OPEN');
    assert.equal(poolStatus({ name: 'b', status: 'UP' }), 'UP');
    assert.equal(poolStatus({ name: 'b', status: 'DOWN' }), 'DOWN');
    assert.equal(poolStatus({ name: 'b', status: 'MAINT' }), 'DOWN');
  });

  it("builds Octavia's v3 message from several load balancers, counters as deltas, conns as the current count", () => {
    const lb1: HaproxyStats = {
      frontends: [frontend({ name: 'l1', scur: 3, stot: 900, bin: 5000, bout: 9000, ereq: 4 })],
      backends: [{ name: 'p1:l1', status: 'UP' }],
      servers: [
        { backend: 'p1:l1', name: 'm1', status: 'UP', weight: 1, checkStatus: 'L7OK', stot: 0 },
        { backend: 'p1:l1', name: 'm2', status: 'DOWN', weight: 1, checkStatus: 'L4CON', stot: 0 },
      ],
    };
    const lb2: HaproxyStats = {
      frontends: [frontend({ name: 'l2', scur: 0 })],
      backends: [
        { name: 'p2:l2', status: 'DOWN' },
        { name: 'p3:l2', status: 'UP' },
      ],
      servers: [{ backend: 'p2:l2', name: 'm3', status: 'MAINT', weight: 1, checkStatus: '', stot: 0 }],
    };
    const deltas: Record<string, ListenerTotals> = {
      l1: { tx: 100, rx: 50, totconns: 2, ereq: 1 },
      l2: { tx: 0, rx: 0, totconns: 0, ereq: 0 },
    };
    const taken: string[] = [];
    const message = buildHeartbeat('amp-1', 1764086400123, [
      { stats: lb1, takeDelta: (id) => (taken.push(id), deltas[id]!) },
      { stats: lb2, takeDelta: (id) => (taken.push(id), deltas[id]!) },
    ]);
    assert.deepEqual(taken, ['l1', 'l2']);
    assert.ok(parseHeartbeat(message), 'the health manager accepts its shape');
    assert.equal(
      pythonJson(orderedMessage(message)),
      '{"id": "amp-1", "seq": 1764086400123, "listeners": {"l1": {"status": "OPEN", "stats": {"tx": 100, "rx": 50, ' +
        '"conns": 3, "totconns": 2, "ereq": 1}}, "l2": {"status": "OPEN", "stats": {"tx": 0, "rx": 0, "conns": 0, ' +
        '"totconns": 0, "ereq": 0}}}, "pools": {"p1:l1": {"status": "UP", "members": {"m1": "UP", "m2": "DOWN"}}, ' +
        '"p2:l2": {"status": "DOWN", "members": {"m3": "MAINT"}}, "p3:l2": {"status": "UP", "members": {}}}, "ver": 3}',
    );
  });

  it('sends an empty report for an amphora without load balancers (it is alive)', () => {
    assert.deepEqual(buildHeartbeat('amp-2', 7, []), { id: 'amp-2', seq: 7, listeners: {}, pools: {}, ver: 3 });
  });
});
