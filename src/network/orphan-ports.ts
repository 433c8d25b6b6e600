import { nowTimestamp } from '../common/ids.js';
import type { Db } from '../db/database.js';
import { deletePort, detachPort } from './ports.js';

/** Older than this, a VIP port without its load balancer is not an allocation still on its way to commit. */
const ORPHAN_AGE_MS = 10 * 60 * 1000;

/**
 * The API allocates a VIP port before the transaction that inserts its load balancer; an API process that
 * dies between the two leaves a port held by `lb-<id>` with no such load balancer. At start, such ports
 * are released: the ones Tavia created are deleted (their addresses return to the pool), a user's own port
 * is detached. Returns how many were released.
 */
export async function releaseOrphanVipPorts(db: Db, now = Date.now()): Promise<number> {
  const before = nowTimestamp(new Date(now - ORPHAN_AGE_MS));
  const ports = await db.kysely
    .selectFrom('port')
    .select(['id', 'name', 'device_id', 'device_owner'])
    .where('device_id', 'like', 'lb-%')
    .where('created_at', '<', before)
    .execute();
  if (ports.length === 0) return 0;
  const live = new Set((await db.kysely.selectFrom('load_balancer').select('id').execute()).map((lb) => `lb-${lb.id}`));
  const held = ports.filter((p) => !live.has(p.device_id));
  for (const port of held) {
    const ours = port.device_owner === 'Octavia' && port.name === `octavia-${port.device_id}`;
    if (ours) await deletePort(db, port.id);
    else await detachPort(db.kysely, port.id, port.device_id);
  }
  return held.length;
}
