import type { Db } from '../../src/db/database.js';

/** The id of the subnet named `name` (e.g. the default `private-subnet`); fails when there is none or several. */
export async function subnetIdByName(db: Db, name: string): Promise<string> {
  const rows = await db.kysely.selectFrom('subnet').select('id').where('name', '=', name).execute();
  if (rows.length !== 1) throw new Error(`expected one subnet named ${name}, found ${rows.length}`);
  return rows[0]!.id;
}

/** The id of the network named `name` (e.g. `private`, `public`); fails when there is none or several. */
export async function networkIdByName(db: Db, name: string): Promise<string> {
  const rows = await db.kysely.selectFrom('network').select('id').where('name', '=', name).execute();
  if (rows.length !== 1) throw new Error(`expected one network named ${name}, found ${rows.length}`);
  return rows[0]!.id;
}
