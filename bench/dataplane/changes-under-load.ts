import { performance } from 'node:perf_hooks';
import { sleep } from '../lib/process-tools.js';
import { fmt, median, percentile, table } from '../lib/report.js';
import { failedJobs } from '../lib/tavia-db.js';
import { runWrk, startWrk, wrkErrors, type WrkResult } from '../lib/wrk.js';
import type { BenchEnv } from './environment.js';
import { WRK_CONNECTIONS, WRK_THREADS } from './throughput-section.js';

/** The kinds of change, applied in this order, round and round. */
const CYCLE = ['add', 'weight', 'mixed', 'remove'] as const;
type ChangeKind = (typeof CYCLE)[number];

const KIND_LABEL: Record<ChangeKind, string> = {
  add: 'add member (POST)',
  weight: 'weight change (PUT member)',
  mixed: 'mixed (batch PUT: add, remove, weight)',
  remove: 'remove member (DELETE)',
};

const ACTIVE_TIMEOUT_MS = 30000;
const POLL_MS = 5;
/** wrk's own bound; the changes must end well before it (checked). */
const LOAD_MAX_SECONDS = 600;
/** Time for wrk's connections to be up before the first change, and for the last reload to be behind us. */
const LEAD_MS = 500;

interface MemberView {
  id: string;
  protocol_port: number;
  weight: number;
  provisioning_status: string;
}

/** What the pool should hold: protocol_port -> weight (all members are on 127.0.0.1). */
type Expected = Map<number, number>;

/**
 * Applies the changes one after another on the HTTP listener's pool. Members a and b (backend-a, backend-b)
 * stay in the pool; the added members point at backend-c, which answers too, so no request has a reason
 * to fail. Each change is waited for: the load balancer ACTIVE again, then the pool's members checked.
 */
class ChangeDriver {
  private readonly expected: Expected;
  private extra: { id: string; port: number } | undefined;
  private readonly membersPath: string;

  constructor(private readonly env: BenchEnv) {
    this.membersPath = `/v2/lbaas/pools/${env.http.poolId}/members`;
    this.expected = new Map([
      [env.backends.a, 1],
      [env.backends.b, 1],
    ]);
  }

  /** Apply change number i; returns ms until the API answered and ms until the load balancer was ACTIVE. */
  async apply(i: number): Promise<{ kind: ChangeKind; answerMs: number; activeMs: number }> {
    // add, weight, mixed, remove: the extra member exists exactly when mixed and remove need it.
    const kind = CYCLE[i % CYCLE.length]!;
    const [a] = this.env.http.memberIds;
    const [c0, c1] = this.env.backends.c;
    const t0 = performance.now();
    if (kind === 'add') {
      const m = await this.env.api.call<{ member: { id: string } }>('POST', this.membersPath, 201, {
        member: { address: '127.0.0.1', protocol_port: c0, name: `change-${i}` },
      });
      this.extra = { id: m.member.id, port: c0 };
      this.expected.set(c0, 1);
    } else if (kind === 'weight') {
      const weight = this.expected.get(this.env.backends.a) === 1 ? 3 : 1;
      await this.env.api.call('PUT', `${this.membersPath}/${a}`, 200, { member: { weight } });
      this.expected.set(this.env.backends.a, weight);
    } else if (kind === 'mixed') {
      // The pool's whole member list: b re-weighted, the extra member swapped for one on backend-c's other port.
      const next = this.extra!.port === c0 ? c1 : c0;
      const bWeight = this.expected.get(this.env.backends.b) === 1 ? 2 : 1;
      const members = [
        { address: '127.0.0.1', protocol_port: this.env.backends.a, weight: this.expected.get(this.env.backends.a) },
        { address: '127.0.0.1', protocol_port: this.env.backends.b, weight: bWeight },
        { address: '127.0.0.1', protocol_port: next, weight: 1, name: `change-${i}` },
      ];
      await this.env.api.call('PUT', this.membersPath, 202, { members });
      this.expected.delete(this.extra!.port);
      this.expected.set(this.env.backends.b, bWeight);
      this.expected.set(next, 1);
      this.extra = { id: '', port: next }; // its id is read back after the change settles
    } else {
      await this.env.api.call('DELETE', `${this.membersPath}/${this.extra!.id}`, 204);
      this.expected.delete(this.extra!.port);
      this.extra = undefined;
    }
    const answered = performance.now();
    const active = await this.env.api.untilActive(this.env.loadBalancerId, ACTIVE_TIMEOUT_MS, POLL_MS);
    await this.check(i, kind);
    return { kind, answerMs: answered - t0, activeMs: active - t0 };
  }

  /** The pool must hold exactly the expected members, all ACTIVE, with the expected weights. */
  private async check(i: number, kind: ChangeKind): Promise<void> {
    const { members } = await this.env.api.call<{ members: MemberView[] }>('GET', this.membersPath, 200);
    const got = new Map(members.map((m) => [m.protocol_port, m.weight]));
    const same = got.size === this.expected.size && [...this.expected].every(([port, w]) => got.get(port) === w);
    const notActive = members.filter((m) => m.provisioning_status !== 'ACTIVE');
    if (!same || notActive.length > 0) {
      const failed = await failedJobs(this.env.node.db);
      throw new Error(
        `change ${i} (${kind}) did not apply: members ${JSON.stringify(members)}, ` +
          `expected ${JSON.stringify([...this.expected])}, failed jobs ${JSON.stringify(failed)}`,
      );
    }
    if (this.extra && this.extra.id === '')
      this.extra.id = members.find((m) => m.protocol_port === this.extra!.port)!.id;
  }
}

function loadRow(label: string, r: WrkResult): string[] {
  const s = r.socketErrors;
  return [
    label,
    fmt(r.seconds, 1),
    String(r.requests),
    fmt(r.requests / r.seconds),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    String(r.non2xx),
    `${s.connect}/${s.read}/${s.write}/${s.timeout}`,
  ];
}

/**
 * `changes` configuration changes through the API, one after another, while wrk keeps a constant
 * keep-alive load on the HTTP VIP; then the same wrk load for `quietSeconds` with no change (before the
 * changes) as the latency reference.
 */
export async function measureChangesUnderLoad(env: BenchEnv, changes: number, quietSeconds: number): Promise<void> {
  const load = { threads: WRK_THREADS, connections: WRK_CONNECTIONS, close: false };
  const quiet = await runWrk(env.http.taviaUrl, quietSeconds, load);

  const driver = new ChangeDriver(env);
  const run = startWrk(env.http.taviaUrl, LOAD_MAX_SECONDS, load);
  let loadEnded = false;
  void run.result.then(
    () => (loadEnded = true),
    () => (loadEnded = true),
  );
  const applied: Array<{ kind: ChangeKind; answerMs: number; activeMs: number }> = [];
  let changesMs = 0;
  try {
    await sleep(LEAD_MS);
    const t0 = performance.now();
    for (let i = 0; i < changes; i++) applied.push(await driver.apply(i));
    changesMs = performance.now() - t0;
    await sleep(LEAD_MS);
    if (loadEnded) throw new Error(`wrk's ${LOAD_MAX_SECONDS} s ran out before the changes ended`);
  } finally {
    await run.stop().catch(() => undefined);
  }
  const during = await run.result;

  const counts = CYCLE.map((k) => `${applied.filter((c) => c.kind === k).length} ${k}`).join(', ');
  console.log(
    `\n(d) ${changes} configuration changes through the API under constant load on the HTTP VIP ` +
      `(wrk -t${WRK_THREADS} -c${WRK_CONNECTIONS}, keep-alive, from ${LEAD_MS} ms before the first change to ` +
      `${LEAD_MS} ms after the last); each change waited for (load balancer ACTIVE, pool members checked) before the next`,
  );
  console.log(
    `changes applied: ${applied.length} (${counts}) in ${fmt(changesMs / 1000, 1)} s = ` +
      `${fmt(applied.length / (changesMs / 1000), 1)} changes/s`,
  );
  const kindRows = CYCLE.filter((k) => applied.some((c) => c.kind === k)).map((k) => {
    const of = applied.filter((c) => c.kind === k);
    const active = of.map((c) => c.activeMs);
    return [
      KIND_LABEL[k],
      String(of.length),
      fmt(median(of.map((c) => c.answerMs)), 1),
      fmt(median(active), 1),
      fmt(percentile(active, 99), 1),
      fmt(Math.max(...active), 1),
    ];
  });
  console.log(table([['', 'count', 'API answer p50 ms', '-> ACTIVE p50 ms', 'p99 ms', 'max ms'], ...kindRows]));
  console.log(
    table([
      [
        'load',
        'seconds',
        'requests',
        'req/s',
        'p50 ms',
        'p99 ms',
        'non-2xx',
        'socket errors connect/read/write/timeout',
      ],
      loadRow(`quiet (${quietSeconds} s before)`, quiet),
      loadRow('during the changes', during),
    ]),
  );
  console.log(`failed requests during the changes: ${wrkErrors(during)} (goal 0)`);
}
