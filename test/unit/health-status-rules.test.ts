import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeartbeatMessage, ListenerReport, PoolReport } from '../../src/heartbeat/message.js';
import type { HealthGraph, StatusChange } from '../../src/health/health-graph.js';
import { applyHeartbeatRules, memberStatus, poolReports, spareOutcome } from '../../src/health/status-rules.js';

/**
 * Octavia's heartbeat rules as a table: a stored graph (one load balancer, listener L1 using pool P1 with
 * members M1 and M2, unless a row says otherwise), a message, and the status changes and refresh expected.
 */

interface GraphShape {
  lb?: { enabled?: boolean; provisioning?: string; operating?: string };
  listeners?: Array<{ id: string; enabled?: boolean; protocol?: string; operating?: string }>;
  pools?: Array<{ id: string; operating?: string; members: Array<{ id: string; operating?: string }> }>;
}

function graphOf(shape: GraphShape = {}): HealthGraph {
  return {
    loadBalancer: {
      id: 'LB',
      enabled: shape.lb?.enabled ?? true,
      provisioningStatus: shape.lb?.provisioning ?? 'ACTIVE',
      operatingStatus: shape.lb?.operating ?? 'OFFLINE',
      updatedAt: null,
    },
    listeners: (shape.listeners ?? [{ id: 'L1' }]).map((l) => ({
      id: l.id,
      enabled: l.enabled ?? true,
      protocol: l.protocol ?? 'HTTP',
      operatingStatus: l.operating ?? 'OFFLINE',
    })),
    pools: (shape.pools ?? [{ id: 'P1', members: [{ id: 'M1' }, { id: 'M2' }] }]).map((p) => ({
      id: p.id,
      operatingStatus: p.operating ?? 'OFFLINE',
      members: p.members.map((m) => ({ id: m.id, operatingStatus: m.operating ?? 'OFFLINE' })),
    })),
  };
}

const open: ListenerReport = { status: 'OPEN', stats: { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 } };
const full: ListenerReport = { ...open, status: 'FULL' };

function message(
  listeners: Record<string, ListenerReport> = { L1: open },
  pools: Record<string, PoolReport> = { 'P1:L1': { status: 'UP', members: { M1: 'UP', M2: 'UP' } } },
): HeartbeatMessage {
  return { id: 'AMP', seq: 1, listeners, pools, ver: 3 };
}

/** Changes as compact `table:id=TO` strings, sorted, for readable rows. */
const compact = (changes: StatusChange[]) => changes.map((c) => `${c.table}:${c.id}=${c.to}`).sort();

interface Row {
  name: string;
  graph?: GraphShape;
  message: HeartbeatMessage;
  changes: string[];
  refresh?: boolean;
}

const ROWS: Row[] = [
  {
    name: 'a healthy report turns everything ONLINE',
    message: message(),
    changes: [
      'listener:L1=ONLINE',
      'load_balancer:LB=ONLINE',
      'member:M1=ONLINE',
      'member:M2=ONLINE',
      'pool:P1=ONLINE',
    ],
  },
  {
    name: 'only values that differ are written',
    graph: {
      lb: { operating: 'ONLINE' },
      listeners: [{ id: 'L1', operating: 'ONLINE' }],
      pools: [{ id: 'P1', operating: 'ONLINE', members: [{ id: 'M1', operating: 'ONLINE' }, { id: 'M2' }] }],
    },
    message: message(),
    changes: ['member:M2=ONLINE'],
  },
  {
    name: 'a FULL listener is DEGRADED and so is the load balancer',
    message: message({ L1: full }),
    changes: [
      'listener:L1=DEGRADED',
      'load_balancer:LB=DEGRADED',
      'member:M1=ONLINE',
      'member:M2=ONLINE',
      'pool:P1=ONLINE',
    ],
  },
  {
    name: 'an unknown listener status leaves the listener as stored',
    message: message({ L1: { ...open, status: 'STOP' } }),
    changes: ['load_balancer:LB=ONLINE', 'member:M1=ONLINE', 'member:M2=ONLINE', 'pool:P1=ONLINE'],
  },
  {
    name: 'an enabled listener missing on an ACTIVE load balancer is ERROR, and health is not refreshed',
    graph: { listeners: [{ id: 'L1' }, { id: 'L2' }] },
    message: message(),
    changes: [
      'listener:L1=ONLINE',
      'listener:L2=ERROR',
      'load_balancer:LB=ONLINE',
      'member:M1=ONLINE',
      'member:M2=ONLINE',
      'pool:P1=ONLINE',
    ],
    refresh: false,
  },
  {
    name: 'a missing listener of a PENDING load balancer is OFFLINE and the listener check is skipped',
    graph: { lb: { provisioning: 'PENDING_UPDATE' }, listeners: [{ id: 'L1' }, { id: 'L2', operating: 'ONLINE' }] },
    message: message(),
    changes: [
      'listener:L1=ONLINE',
      'listener:L2=OFFLINE',
      'load_balancer:LB=ONLINE',
      'member:M1=ONLINE',
      'member:M2=ONLINE',
      'pool:P1=ONLINE',
    ],
    refresh: true,
  },
  {
    name: 'a disabled listener is not expected: OFFLINE, health refreshed',
    graph: { listeners: [{ id: 'L1' }, { id: 'L2', enabled: false, operating: 'ONLINE' }] },
    message: message(),
    changes: [
      'listener:L1=ONLINE',
      'listener:L2=OFFLINE',
      'load_balancer:LB=ONLINE',
      'member:M1=ONLINE',
      'member:M2=ONLINE',
      'pool:P1=ONLINE',
    ],
    refresh: true,
  },
  {
    name: 'a listener HAProxy does not serve (UDP) is not expected',
    graph: { listeners: [{ id: 'L1' }, { id: 'U1', protocol: 'UDP' }] },
    message: message(),
    changes: [
      'listener:L1=ONLINE',
      'listener:U1=ERROR',
      'load_balancer:LB=ONLINE',
      'member:M1=ONLINE',
      'member:M2=ONLINE',
      'pool:P1=ONLINE',
    ],
    refresh: true,
  },
  {
    name: 'a reported listener the load balancer does not have is ignored and does not stop the refresh',
    message: message({ L1: open, GONE: open }),
    changes: [
      'listener:L1=ONLINE',
      'load_balancer:LB=ONLINE',
      'member:M1=ONLINE',
      'member:M2=ONLINE',
      'pool:P1=ONLINE',
    ],
    refresh: true,
  },
  {
    name: 'a disabled load balancer is OFFLINE and its listeners are not checked',
    graph: {
      lb: { enabled: false, operating: 'ONLINE' },
      listeners: [{ id: 'L1', operating: 'ONLINE' }],
      pools: [{ id: 'P1', operating: 'ONLINE', members: [] }],
    },
    message: message({}, {}),
    changes: ['listener:L1=OFFLINE', 'load_balancer:LB=OFFLINE', 'pool:P1=OFFLINE'],
    refresh: true,
  },
  {
    name: 'a DOWN member is ERROR, its pool and the load balancer DEGRADED',
    message: message(undefined, { 'P1:L1': { status: 'UP', members: { M1: 'DOWN', M2: 'UP' } } }),
    changes: [
      'listener:L1=ONLINE',
      'load_balancer:LB=DEGRADED',
      'member:M1=ERROR',
      'member:M2=ONLINE',
      'pool:P1=DEGRADED',
    ],
  },
  {
    name: 'a DOWN pool is ERROR and so is the load balancer',
    message: message(undefined, { 'P1:L1': { status: 'DOWN', members: { M1: 'DOWN', M2: 'DOWN' } } }),
    changes: ['listener:L1=ONLINE', 'load_balancer:LB=ERROR', 'member:M1=ERROR', 'member:M2=ERROR', 'pool:P1=ERROR'],
  },
  {
    name: 'ERROR from a DOWN pool outranks DEGRADED from a FULL listener',
    message: message({ L1: full }, { 'P1:L1': { status: 'DOWN', members: { M1: 'DOWN', M2: 'DOWN' } } }),
    changes: ['listener:L1=DEGRADED', 'load_balancer:LB=ERROR', 'member:M1=ERROR', 'member:M2=ERROR', 'pool:P1=ERROR'],
  },
  {
    name: 'transitional states count as where they are heading from: UP 1/3 is ONLINE, DOWN 1/2 is ERROR',
    message: message(undefined, { 'P1:L1': { status: 'UP', members: { M1: 'UP 1/3', M2: 'DOWN 1/2' } } }),
    changes: [
      'listener:L1=ONLINE',
      'load_balancer:LB=DEGRADED',
      'member:M1=ONLINE',
      'member:M2=ERROR',
      'pool:P1=DEGRADED',
    ],
  },
  {
    name: 'DRAIN is DRAINING, MAINT is OFFLINE',
    graph: { pools: [{ id: 'P1', members: [{ id: 'M1' }, { id: 'M2', operating: 'ONLINE' }] }] },
    message: message(undefined, { 'P1:L1': { status: 'UP', members: { M1: 'DRAIN', M2: 'MAINT' } } }),
    changes: [
      'listener:L1=ONLINE',
      'load_balancer:LB=ONLINE',
      'member:M1=DRAINING',
      'member:M2=OFFLINE',
      'pool:P1=ONLINE',
    ],
  },
  {
    name: '"no check" is NO_MONITOR; RESTARTING and unknown states keep the stored status',
    graph: {
      pools: [
        { id: 'P1', members: [{ id: 'M1', operating: 'ONLINE' }, { id: 'M2', operating: 'ERROR' }, { id: 'M3' }] },
      ],
    },
    message: message(undefined, { 'P1:L1': { status: 'UP', members: { M1: 'no check', M2: 'RESTARTING', M3: '?' } } }),
    changes: ['listener:L1=ONLINE', 'load_balancer:LB=ONLINE', 'member:M1=NO_MONITOR', 'pool:P1=ONLINE'],
  },
  {
    name: 'a member HAProxy does not have is OFFLINE, unless it has no monitor',
    graph: {
      pools: [
        {
          id: 'P1',
          members: [
            { id: 'M1', operating: 'ONLINE' },
            { id: 'M2', operating: 'NO_MONITOR' },
          ],
        },
      ],
    },
    message: message(undefined, { 'P1:L1': { status: 'UP', members: {} } }),
    changes: ['listener:L1=ONLINE', 'load_balancer:LB=ONLINE', 'member:M1=OFFLINE', 'pool:P1=ONLINE'],
  },
  {
    name: 'a pool in no backend is OFFLINE and its members are left alone',
    graph: {
      pools: [
        { id: 'P1', members: [{ id: 'M1' }, { id: 'M2' }] },
        { id: 'P2', operating: 'ONLINE', members: [{ id: 'M3', operating: 'ERROR' }] },
      ],
    },
    message: message(),
    changes: [
      'listener:L1=ONLINE',
      'load_balancer:LB=ONLINE',
      'member:M1=ONLINE',
      'member:M2=ONLINE',
      'pool:P1=ONLINE',
      'pool:P2=OFFLINE',
    ],
  },
  {
    name: 'a pool behind two listeners takes the worse of its two backends',
    graph: { listeners: [{ id: 'L1' }, { id: 'L2' }] },
    message: message(
      { L1: open, L2: open },
      {
        'P1:L1': { status: 'UP', members: { M1: 'UP', M2: 'UP' } },
        'P1:L2': { status: 'UP', members: { M1: 'DOWN', M2: 'UP' } },
      },
    ),
    changes: [
      'listener:L1=ONLINE',
      'listener:L2=ONLINE',
      'load_balancer:LB=DEGRADED',
      'member:M1=ERROR',
      'member:M2=ONLINE',
      'pool:P1=DEGRADED',
    ],
  },
  {
    name: "an older amphora's backend named by the pool id alone",
    message: message(undefined, { P1: { status: 'UP', members: { M1: 'UP', M2: 'UP' } } }),
    changes: [
      'listener:L1=ONLINE',
      'load_balancer:LB=ONLINE',
      'member:M1=ONLINE',
      'member:M2=ONLINE',
      'pool:P1=ONLINE',
    ],
  },
  {
    name: 'objects in PENDING states get their operating status as Octavia gives it (no provisioning check)',
    graph: { lb: { provisioning: 'PENDING_UPDATE' } },
    message: message(),
    changes: [
      'listener:L1=ONLINE',
      'load_balancer:LB=ONLINE',
      'member:M1=ONLINE',
      'member:M2=ONLINE',
      'pool:P1=ONLINE',
    ],
    refresh: true,
  },
];

describe('heartbeat status rules', () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const outcome = applyHeartbeatRules(row.message, graphOf(row.graph));
      assert.deepEqual(compact(outcome.changes), [...row.changes].sort());
      if (row.refresh !== undefined) assert.equal(outcome.refresh, row.refresh);
    });
  }

  it('names the listeners that stopped the refresh, and says why nothing was checked', () => {
    const graph = graphOf({ listeners: [{ id: 'L1' }, { id: 'L2' }, { id: 'L3', enabled: false }] });
    const missing = applyHeartbeatRules(message(), graph);
    assert.equal(missing.listenerCheck, 'missing');
    assert.deepEqual(missing.missingListeners, ['L2']);
    assert.equal(applyHeartbeatRules(message({ L1: open, L2: open }), graph).listenerCheck, 'matched');
    const pending = graphOf({ lb: { provisioning: 'PENDING_CREATE' } });
    assert.equal(applyHeartbeatRules(message({}), pending).listenerCheck, 'skipped');
  });

  it('records each change with the status it replaces', () => {
    const graph = graphOf({ lb: { operating: 'DEGRADED' } });
    const lb = applyHeartbeatRules(message(), graph).changes.find((c) => c.table === 'load_balancer');
    assert.deepEqual(lb, { table: 'load_balancer', id: 'LB', from: 'DEGRADED', to: 'ONLINE' });
  });

  it('treats a spare amphora as healthy only while it serves no listener', () => {
    assert.equal(spareOutcome(message({}, {})).refresh, true);
    assert.equal(spareOutcome(message()).refresh, false);
    assert.deepEqual(spareOutcome(message()).changes, []);
  });

  it('maps HAProxy server states', () => {
    const table: Array<[string, string | undefined]> = [
      ['UP', 'ONLINE'],
      ['UP 2/3', 'ONLINE'],
      ['DOWN', 'ERROR'],
      ['DOWN 1/2', 'ERROR'],
      ['DRAIN', 'DRAINING'],
      ['MAINT', 'OFFLINE'],
      ['no check', 'NO_MONITOR'],
      ['RESTARTING', undefined],
      ['NOLB', undefined],
    ];
    for (const [reported, expected] of table) assert.equal(memberStatus(reported), expected, reported);
  });

  it('merges the backends of one pool whatever their order', () => {
    const a = { status: 'UP', members: { M1: 'UP', M2: 'MAINT' } };
    const b = { status: 'DOWN', members: { M1: 'DRAIN', M2: 'UP' } };
    for (const pools of [
      { 'P1:L1': a, 'P1:L2': b },
      { 'P1:L2': b, 'P1:L1': a },
    ]) {
      const merged = poolReports(message({}, pools)).get('P1');
      assert.deepEqual(merged, { status: 'DOWN', members: { M1: 'DRAIN', M2: 'MAINT' } });
    }
  });
});
