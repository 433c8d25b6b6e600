import type { HealthGraph, HealthLoadBalancer } from './health-graph.js';

/**
 * The health graphs of recently seen load balancers, so a heartbeat costs no reads of listeners, pools
 * and members. Each batch reads the load balancer rows and the amphorae's stored sequence numbers anyway;
 * an entry is used only when both still match what it was built from:
 *
 * - every change below a load balancer goes through its provisioning status (the API moves it to
 *   PENDING_UPDATE, the flow back to ACTIVE), which also sets `updated_at`. `updated_at` has second
 *   precision, so an entry loaded less than a second (plus clock skew between nodes) after the last change
 *   is volatile: a second change within that same second would leave the row looking the same. Volatile
 *   entries, and those of PENDING_* load balancers, are read again for every batch.
 * - operating statuses are written by the health managers: if the stored sequence number of an amphora
 *   is not the one this manager last applied, another manager applied a heartbeat in between (and may
 *   have written statuses), so the entry is read again.
 * - and every entry is read again after `ttlMs` (stretched by up to half at random, so entries loaded together
 *   do not all expire together) whatever happened, for changes made behind the API's back.
 */

/** Allowed clock difference between the node that wrote `updated_at` and this one. */
export const CLOCK_SKEW_MS = 2000;

export interface CachedGraph {
  graph: HealthGraph;
  loadedAtMs: number;
  /** After this the entry is read again whatever else happened. */
  expiresAtMs: number;
  volatile: boolean;
  /** The sequence number this manager last applied, per amphora of the load balancer. */
  appliedSeq: Map<string, number>;
}

/** An entry whose load balancer row might change without its `updated_at` showing it. */
export function isVolatile(lb: HealthLoadBalancer, loadedAtMs: number): boolean {
  if (lb.provisioningStatus.startsWith('PENDING_')) return true;
  if (lb.updatedAt === null) return false;
  const changedMs = Date.parse(`${lb.updatedAt}Z`);
  // The stored second covers changes up to 999 ms after it.
  return Number.isNaN(changedMs) || loadedAtMs < changedMs + 1000 + CLOCK_SKEW_MS;
}

/** Whether `entry` still describes the database, given the rows a batch read. */
export function isEntryCurrent(
  entry: CachedGraph,
  row: HealthLoadBalancer,
  storedSeqs: ReadonlyArray<{ amphoraId: string; storedSeq: number | undefined }>,
  nowMs: number,
): boolean {
  if (entry.volatile || nowMs >= entry.expiresAtMs) return false;
  const lb = entry.graph.loadBalancer;
  if (
    lb.provisioningStatus !== row.provisioningStatus ||
    lb.updatedAt !== row.updatedAt ||
    lb.enabled !== row.enabled ||
    lb.operatingStatus !== row.operatingStatus
  )
    return false;
  return storedSeqs.every(
    ({ amphoraId, storedSeq }) => storedSeq !== undefined && entry.appliedSeq.get(amphoraId) === storedSeq,
  );
}

export class HealthGraphCache {
  private readonly entries = new Map<string, CachedGraph>();

  constructor(
    private readonly ttlMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached graph of `row`'s load balancer when it is current, else undefined. */
  current(
    row: HealthLoadBalancer,
    storedSeqs: ReadonlyArray<{ amphoraId: string; storedSeq: number | undefined }>,
    nowMs: number,
  ): HealthGraph | undefined {
    const entry = this.entries.get(row.id);
    return entry && isEntryCurrent(entry, row, storedSeqs, nowMs) ? entry.graph : undefined;
  }

  /** Keep a freshly read graph (the sequences applied so far are kept: they are still this manager's). */
  store(graph: HealthGraph, nowMs: number): void {
    const before = this.entries.get(graph.loadBalancer.id);
    this.entries.set(graph.loadBalancer.id, {
      graph,
      loadedAtMs: nowMs,
      expiresAtMs: nowMs + this.ttlMs * (1 + this.random() / 2),
      volatile: isVolatile(graph.loadBalancer, nowMs),
      appliedSeq: before?.appliedSeq ?? new Map(),
    });
  }

  /** After a commit: this manager's writes are what the database holds for the amphora. */
  recordApplied(loadBalancerId: string, amphoraId: string, seq: number): void {
    this.entries.get(loadBalancerId)?.appliedSeq.set(amphoraId, seq);
  }

  forget(loadBalancerId: string): void {
    this.entries.delete(loadBalancerId);
  }

  /** Drop entries not used for a while (deleted load balancers, amphorae that went silent). */
  sweep(nowMs: number): void {
    for (const [id, entry] of this.entries) if (nowMs >= entry.expiresAtMs + this.ttlMs) this.entries.delete(id);
  }
}
