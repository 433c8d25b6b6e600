import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AddressRange, Subnet } from './subnets.js';

/**
 * A free address of the subnet's allocation pools, or null when they are full. Each pool is tried in
 * order: the address after the highest one held in the pool (one lookup on the (subnet_id, ip_number)
 * index, however many ports there are); once the top of the pool is taken, the lowest gap (one query in
 * the database). A freed address is therefore reused only once the pool has been run through, which also
 * keeps a just-deleted VIP from being handed out again at once.
 *
 * The answer is a candidate, not a reservation: the caller inserts it, and the unique (subnet_id,
 * ip_address) constraint decides between two processes that picked the same one.
 */
export async function findFreeAddress(db: Kysely<Database>, subnet: Subnet): Promise<number | null> {
  for (const pool of subnet.pools) {
    const highest = await highestHeld(db, subnet.id, pool);
    if (highest === null) return pool.start;
    if (highest < pool.end) return highest + 1;
    const gap = await lowestGap(db, subnet.id, pool);
    if (gap !== null) return gap;
  }
  return null;
}

async function highestHeld(db: Kysely<Database>, subnetId: string, pool: AddressRange): Promise<number | null> {
  const row = await db
    .selectFrom('port_fixed_ip')
    .select((eb) => eb.fn.max('ip_number').as('highest'))
    .where('subnet_id', '=', subnetId)
    .where('ip_number', '>=', pool.start)
    .where('ip_number', '<=', pool.end)
    .executeTakeFirst();
  return row?.highest === null || row?.highest === undefined ? null : Number(row.highest);
}

/**
 * The lowest free address of a pool whose top is taken: its start, or the first held address whose
 * successor is not held, plus one. The window function walks the (subnet_id, ip_number) index in order and
 * stops at the first gap, whatever the planner knows about the table (an anti-join was planned as a nested
 * loop on PostgreSQL before the table had statistics: 100+ ms for 1,000 ports).
 */
async function lowestGap(db: Kysely<Database>, subnetId: string, pool: AddressRange): Promise<number | null> {
  const startHeld = await db
    .selectFrom('port_fixed_ip')
    .select('ip_number')
    .where('subnet_id', '=', subnetId)
    .where('ip_number', '=', pool.start)
    .executeTakeFirst();
  if (!startHeld) return pool.start;
  const { rows } = await sql<{ gap: number | string }>`
    select held.ip_number + 1 as gap
    from (
      select ip_number, lead(ip_number) over (order by ip_number) as next_held
      from port_fixed_ip
      where subnet_id = ${subnetId} and ip_number >= ${pool.start} and ip_number <= ${pool.end}
    ) held
    where held.ip_number < ${pool.end} and (held.next_held is null or held.next_held > held.ip_number + 1)
    order by held.ip_number
    limit 1`.execute(db);
  return rows[0] === undefined ? null : Number(rows[0].gap);
}
