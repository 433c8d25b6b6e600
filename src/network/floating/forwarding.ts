import { existsSync } from 'node:fs';
import type { TaviaConfig } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import type { Db } from '../../db/database.js';
import { runNft } from './nft.js';
import {
  forwardingTableName,
  isForwardingTable,
  ownerComment,
  parseTableComment,
  parseTableNames,
  renderForwardingScript,
  type Forward,
} from './nft-script.js';

/** How often the kernel state is compared with the database (changes made by other processes). */
const DEFAULT_INTERVAL_MS = 2_000;

export interface FloatingIpForwarding {
  /** Make the kernel's DNAT rules match the stored associations now. */
  sync(): Promise<void>;
  /** Stop the periodic sync; `removeRules` (a clean stop) also deletes the node's table. */
  close(opts?: { removeRules: boolean }): Promise<void>;
  /** The nftables table of this node's data dir. */
  readonly table: string;
  /** False when `nft` is missing or not permitted: associations are stored but not forwarded. */
  readonly active: boolean;
}

/** The associations the kernel should forward: every floating IP with a fixed IP. */
async function storedForwards(db: Db): Promise<Forward[]> {
  const rows = await db.kysely
    .selectFrom('floating_ip')
    .select(['floating_ip_address', 'fixed_ip_address'])
    .where('port_id', 'is not', null)
    .where('fixed_ip_address', 'is not', null)
    .orderBy('floating_ip_address')
    .execute();
  return rows.map((r) => ({ floating: r.floating_ip_address, fixed: r.fixed_ip_address! }));
}

/**
 * Floating IPs that really forward: one nftables table per node data dir (`ip tavia_<hash>`) with DNAT
 * rules from each associated floating IP to its fixed IP, rewritten in one atomic `nft -f -` transaction
 * at start, after every change the API makes (`sync()`), and every few seconds for changes made by other
 * processes. A crash leaves the table; the next start's sync replaces its rules. Tables of data dirs that
 * no longer exist (a crashed test's) are removed at start, so their stale rules cannot catch the traffic
 * of another node using the same floating addresses. Without a working `nft`, one warning is logged and
 * everything else goes on (the associations are stored, not forwarded).
 */
export async function startFloatingIpForwarding(opts: {
  db: Db;
  config: TaviaConfig;
  log: Logger;
  intervalMs?: number;
}): Promise<FloatingIpForwarding> {
  const { db, config } = opts;
  const log = opts.log.child({ component: 'floating-ip-forwarding' });
  const table = forwardingTableName(config.dataDir);
  const comment = ownerComment(config.dataDir);

  const probe = await runNft(['list', 'tables']);
  const active = probe.code === 0;
  if (!active) {
    log.warn(
      { error: probe.stderr.trim().slice(0, 300) },
      'nftables (nft) is missing or not permitted: floating IP associations are stored but not forwarded',
    );
  } else {
    await removeStaleTables(
      parseTableNames(probe.stdout).filter((t) => t !== table),
      log,
    );
  }

  let applied: string | undefined;
  let lastError: string | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const apply = async () => {
    const script = renderForwardingScript(table, await storedForwards(db), comment);
    if (script === applied) return;
    const result = await runNft(['-f', '-'], script);
    if (result.code === 0) {
      applied = script;
      lastError = undefined;
      return;
    }
    const error = result.stderr.trim().slice(0, 500);
    // A persistent failure is logged once, not at every interval.
    if (error !== lastError) log.error({ error, table }, 'could not apply floating IP forwarding rules');
    lastError = error;
  };

  // One run at a time; calls during a run share one more run after it (it sees their changes).
  const sync = (): Promise<void> => {
    if (!active || closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await apply();
        } while (again && !closed);
      } catch (err) {
        log.error({ err }, 'floating IP forwarding sync failed');
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  await sync();
  const timer = setInterval(() => void sync(), opts.intervalMs ?? DEFAULT_INTERVAL_MS);
  timer.unref();

  return {
    table,
    active,
    sync,
    async close(closeOpts = { removeRules: false }) {
      closed = true;
      clearInterval(timer);
      await running;
      if (active && closeOpts.removeRules) {
        const result = await runNft(['delete', 'table', 'ip', table]);
        if (result.code !== 0 && !/No such file/i.test(result.stderr))
          log.warn({ error: result.stderr.trim() }, 'could not remove the floating IP forwarding table');
      }
    },
  };
}

/** Delete Tavia tables whose data dir (their comment) is gone; tables without a comment are left alone. */
async function removeStaleTables(tables: string[], log: Logger): Promise<void> {
  for (const name of tables.filter(isForwardingTable)) {
    const listing = await runNft(['list', 'table', 'ip', name]);
    if (listing.code !== 0) continue;
    const owner = parseTableComment(listing.stdout);
    if (!owner || !owner.startsWith('/') || existsSync(owner)) continue;
    const removed = await runNft(['delete', 'table', 'ip', name]);
    if (removed.code === 0)
      log.info({ table: name, dataDir: owner }, 'removed the forwarding table of a gone data dir');
  }
}
