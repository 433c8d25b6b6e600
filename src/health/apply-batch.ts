import type { Db } from '../db/database.js';
import type { HeartbeatMessage } from '../heartbeat/message.js';
import type { HealthGraphCache } from './graph-cache.js';
import { readAmphoraContexts, readHealthGraphs, type AmphoraContext } from './graph-loader.js';
import { applyStatusChanges, type HealthGraph, type HealthLoadBalancer, type StatusChange } from './health-graph.js';
import { claimSequences, writeStatistics, writeStatuses, type SequenceClaim } from './health-writes.js';
import { mergeContributions, statsContributions, type StatsContribution } from './statistics.js';
import { applyHeartbeatRules, checkListeners, spareOutcome } from './status-rules.js';

/** A verified heartbeat waiting for the next batch. */
export interface QueuedHeartbeat {
  message: HeartbeatMessage;
  receivedMs: number;
}

/** Why a verified heartbeat was not applied (the envelope's reasons are counted before batching). */
export type BatchDropReason = 'unknown-amphora' | 'orphan-amphora' | 'stale-seq';

export interface BatchResult {
  /** Heartbeats applied, with the time each arrived. */
  accepted: QueuedHeartbeat[];
  dropped: Partial<Record<BatchDropReason, QueuedHeartbeat[]>>;
  /** Accepted heartbeats that did not refresh last_update: an expected listener was not reported. */
  notRefreshed: Array<{ amphoraId: string; missing: string[] }>;
  statusWrites: number;
  statsRows: number;
  graphsRead: number;
}

/** Heartbeats per amphora in sequence order; a sequence number repeated within the batch is a replay. */
function groupByAmphora(batch: readonly QueuedHeartbeat[], drop: (hb: QueuedHeartbeat) => void) {
  const byAmphora = new Map<string, QueuedHeartbeat[]>();
  for (const hb of batch) {
    const list = byAmphora.get(hb.message.id);
    if (list) list.push(hb);
    else byAmphora.set(hb.message.id, [hb]);
  }
  for (const [id, list] of byAmphora) {
    if (list.length === 1) continue;
    list.sort((a, b) => a.message.seq - b.message.seq);
    const unique = [list[0]!];
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.message.seq === unique[unique.length - 1]!.message.seq) drop(list[i]!);
      else unique.push(list[i]!);
    }
    byAmphora.set(id, unique);
  }
  return byAmphora;
}

/** The net status changes of a batch: per object the status before the batch and the last one set. */
class NetChanges {
  private readonly byKey = new Map<string, StatusChange>();

  add(changes: readonly StatusChange[]): void {
    for (const c of changes) {
      const key = `${c.table}:${c.id}`;
      const seen = this.byKey.get(key);
      if (seen) seen.to = c.to;
      else this.byKey.set(key, { ...c });
    }
  }

  /** Only objects whose status differs from the stored one at the end. */
  effective(): StatusChange[] {
    return [...this.byKey.values()].filter((c) => c.from !== c.to);
  }
}

/**
 * Apply one batch of verified heartbeats in one transaction: drop those of unknown amphorae and stale
 * sequence numbers, record amphora health, write the operating statuses that changed and add the traffic
 * counters. Several heartbeats of one amphora are applied in sequence order. Nothing is written for a
 * dropped heartbeat. The cache is updated only once the transaction committed.
 */
export async function applyBatch(
  db: Db,
  cache: HealthGraphCache,
  batch: readonly QueuedHeartbeat[],
  nowMs: number,
): Promise<BatchResult> {
  const result: BatchResult = {
    accepted: [],
    dropped: {},
    notRefreshed: [],
    statusWrites: 0,
    statsRows: 0,
    graphsRead: 0,
  };
  const drop = (reason: BatchDropReason, hb: QueuedHeartbeat) => (result.dropped[reason] ??= []).push(hb);
  const byAmphora = groupByAmphora(batch, (hb) => drop('stale-seq', hb));

  const applied = new Map<string, { loadBalancerId: string; seq: number }>();
  const touchedLbs = new Set<string>();
  try {
    await db.kysely.transaction().execute(async (trx) => {
      const contexts = await readAmphoraContexts(trx, db.dialect, [...byAmphora.keys()]);

      // Which heartbeats can apply at all, and the load balancers they need.
      const pending: Array<{ amphora: AmphoraContext; list: QueuedHeartbeat[] }> = [];
      const needed = new Map<
        string,
        { row: HealthLoadBalancer; seqs: Array<{ amphoraId: string; storedSeq: number | undefined }> }
      >();
      for (const [id, list] of byAmphora) {
        const amphora = contexts.get(id);
        if (!amphora || amphora.status === 'DELETED') {
          for (const hb of list) drop('unknown-amphora', hb);
          continue;
        }
        if (amphora.loadBalancerId && !amphora.loadBalancer) {
          // Its load balancer is gone: Octavia deletes such an amphora; here it is simply not listened to.
          for (const hb of list) drop('orphan-amphora', hb);
          continue;
        }
        const stored = amphora.storedSeq ?? -1;
        const fresh: QueuedHeartbeat[] = [];
        for (const hb of list) {
          if (hb.message.seq > stored) fresh.push(hb);
          else drop('stale-seq', hb);
        }
        if (fresh.length === 0) continue;
        pending.push({ amphora, list: fresh });
        const lb = amphora.loadBalancer;
        if (!lb) continue;
        const entry = needed.get(lb.id) ?? { row: lb, seqs: [] };
        entry.seqs.push({ amphoraId: id, storedSeq: amphora.storedSeq });
        needed.set(lb.id, entry);
      }

      // The graphs: cached when still current, else read now (in bulk).
      const graphs = new Map<string, HealthGraph>();
      const toRead: HealthLoadBalancer[] = [];
      for (const [id, { row, seqs }] of needed) {
        touchedLbs.add(id);
        const cached = cache.current(row, seqs, nowMs);
        if (cached) graphs.set(id, cached);
        else toRead.push(row);
      }
      if (toRead.length > 0) {
        const read = await readHealthGraphs(trx, db.dialect, toRead);
        for (const [id, graph] of read) {
          cache.store(graph, nowMs);
          graphs.set(id, graph);
        }
        result.graphsRead = read.size;
      }

      // The stored sequence numbers read above cannot change before this transaction ends (PostgreSQL: the
      // rows are locked; SQLite: this is the only writer), so every heartbeat above them is taken, and one
      // claim per amphora (its highest sequence number) records the lot, however deep the backlog.
      const claims: SequenceClaim[] = pending.map(({ amphora, list }) => {
        const graph = amphora.loadBalancerId ? graphs.get(amphora.loadBalancerId)! : undefined;
        let lastUpdateMs = 0;
        for (const hb of list) {
          const refresh = graph
            ? checkListeners(hb.message, graph).check !== 'missing'
            : spareOutcome(hb.message).refresh;
          if (refresh && hb.receivedMs > lastUpdateMs) lastUpdateMs = hb.receivedMs;
        }
        return { amphoraId: amphora.id, seq: list[list.length - 1]!.message.seq, lastUpdateMs };
      });
      // The statement still compares (a guard): what it does not take is not applied.
      const taken = await claimSequences(trx, db.dialect, claims);

      const net = new NetChanges();
      const contributions: StatsContribution[] = [];
      for (const { amphora, list } of pending) {
        if (!taken.has(amphora.id)) {
          for (const hb of list) drop('stale-seq', hb);
          continue;
        }
        const graph = amphora.loadBalancerId ? graphs.get(amphora.loadBalancerId)! : undefined;
        for (const hb of list) {
          result.accepted.push(hb);
          if (!graph) {
            if (!spareOutcome(hb.message).refresh) result.notRefreshed.push({ amphoraId: amphora.id, missing: [] });
            continue;
          }
          const outcome = applyHeartbeatRules(hb.message, graph);
          applyStatusChanges(graph, outcome.changes);
          net.add(outcome.changes);
          if (!outcome.refresh) result.notRefreshed.push({ amphoraId: amphora.id, missing: outcome.missingListeners });
          const listeners = new Set(graph.listeners.map((l) => l.id));
          for (const c of statsContributions(hb.message, amphora.id, listeners)) contributions.push(c);
        }
        if (graph)
          applied.set(amphora.id, { loadBalancerId: graph.loadBalancer.id, seq: list[list.length - 1]!.message.seq });
      }

      // Only the net effect of the batch is written, and only what differs from the stored value.
      const changes = net.effective();
      await writeStatuses(trx, db.dialect, changes);
      result.statusWrites = changes.length;
      const stats = mergeContributions(contributions);
      await writeStatistics(trx, db.dialect, stats, nowMs);
      result.statsRows = stats.length;
    });
  } catch (err) {
    // The in-memory graphs may hold statuses that were never committed.
    for (const id of touchedLbs) cache.forget(id);
    throw err;
  }
  for (const [amphoraId, { loadBalancerId, seq }] of applied) cache.recordApplied(loadBalancerId, amphoraId, seq);
  return result;
}
