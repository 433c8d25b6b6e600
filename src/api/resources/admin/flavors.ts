import type { FastifyInstance } from 'fastify';
import { badRequest, conflict } from '../../../common/errors.js';
import { newId } from '../../../common/ids.js';
import type { Tx } from '../../../db/provisioning.js';
import { toBool, type FlavorRow } from '../../../db/schema.js';
import { findOrFail, listResource, showResource, type ResourceDef } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { bool, required, str, uuid, validateBody, type Clean, type FieldMap } from '../../validation/fields.js';
import { FLAVOR_PROFILES, profileRoutes } from './flavor-profiles.js';

const POST_FIELDS: FieldMap = {
  name: required(str()),
  description: str(),
  enabled: bool(),
  flavor_profile_id: required(uuid()),
};

const PUT_FIELDS: FieldMap = { name: str(), description: str(), enabled: bool() };

/** How the generic list and show handlers read flavors. */
export const flavorDef: ResourceDef<'flavor'> = {
  table: 'flavor',
  singular: 'flavor',
  plural: 'flavors',
  label: 'Flavor',
  list: {
    columns: {
      id: 'id',
      name: 'name',
      description: 'description',
      enabled: 'enabled',
      flavor_profile_id: 'flavor_profile_id',
    },
    kinds: { enabled: 'bool' },
  },
  async serialize(rows) {
    return rows.map(serializeFlavor);
  },
};

/** A flavor in the field order Octavia answers with. */
export function serializeFlavor(r: FlavorRow): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    description: r.description ?? '',
    enabled: toBool(r.enabled),
    flavor_profile_id: r.flavor_profile_id,
  };
}

/** True for a unique-constraint failure on SQLite or PostgreSQL (two creates racing for one name). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Octavia's 409 for a flavor name that is taken (by another flavor than `exceptId`). */
async function assertNameFree(trx: Tx, name: string, exceptId?: string): Promise<void> {
  let q = trx.selectFrom('flavor').select('id').where('name', '=', name);
  if (exceptId) q = q.where('id', '!=', exceptId);
  if (await q.executeTakeFirst()) throw conflict(`A flavor of ${name} already exists.`);
}

/** Write inside a transaction, turning a lost race for the name into the same 409. */
async function writeFlavor(
  services: ApiServices,
  name: string | undefined,
  work: (trx: Tx) => Promise<void>,
): Promise<void> {
  try {
    await services.db.kysely.transaction().execute(work);
  } catch (err) {
    if (name !== undefined && isUniqueViolation(err)) throw conflict(`A flavor of ${name} already exists.`);
    throw err;
  }
}

function updates(body: Clean): Partial<FlavorRow> {
  const changes: Partial<FlavorRow> = {};
  for (const key of ['name', 'enabled'] as const) {
    if (key in body && body[key] === null) throw badRequest(`None is not a valid option for ${key}`);
  }
  if ('name' in body) changes.name = body.name as string;
  if ('description' in body) changes.description = body.description as string | null;
  if ('enabled' in body) changes.enabled = body.enabled as boolean;
  return changes;
}

/** Flavors (`/v2/lbaas/flavors`) and their profiles: admin objects written directly, with no provisioning. */
export async function flavorRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  await profileRoutes(app, services, FLAVOR_PROFILES);
  type ById = { Params: { id: string } };

  app.get('/v2/lbaas/flavors', (req) => listResource(req, flavorDef, services));
  app.get<ById>('/v2/lbaas/flavors/:id', (req) => showResource(req, flavorDef, services, req.params.id));

  app.post('/v2/lbaas/flavors', async (req, reply) => {
    const body = validateBody(req.body, 'flavor', 'flavor_', POST_FIELDS, true);
    const row: FlavorRow = {
      id: newId(),
      name: body.name as string,
      description: (body.description as string | null | undefined) ?? null,
      enabled: (body.enabled as boolean | null | undefined) ?? true,
      flavor_profile_id: body.flavor_profile_id as string,
    };
    await writeFlavor(services, row.name, async (trx) => {
      const profile = await trx
        .selectFrom('flavor_profile')
        .select('id')
        .where('id', '=', row.flavor_profile_id)
        .executeTakeFirst();
      if (!profile) throw badRequest(`${row.flavor_profile_id} is not a valid option for flavor_profile_id`);
      await assertNameFree(trx, row.name);
      await trx.insertInto('flavor').values(row).execute();
    });
    reply.code(201);
    return { flavor: serializeFlavor(row) };
  });

  app.put<ById>('/v2/lbaas/flavors/:id', async (req) => {
    const id = req.params.id;
    const body = validateBody(req.body, 'flavor', 'flavor_', PUT_FIELDS, false);
    await findOrFail(flavorDef, services, id);
    const changes = updates(body);
    if (Object.keys(changes).length > 0)
      await writeFlavor(services, changes.name, async (trx) => {
        if (changes.name !== undefined) await assertNameFree(trx, changes.name, id);
        await trx.updateTable('flavor').set(changes).where('id', '=', id).execute();
      });
    return showResource(req, flavorDef, services, id);
  });

  app.delete<ById>('/v2/lbaas/flavors/:id', async (req, reply) => {
    const id = req.params.id;
    await findOrFail(flavorDef, services, id);
    await services.db.kysely.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('load_balancer').select('id').where('flavor_id', '=', id).executeTakeFirst();
      if (user) throw conflict(`Flavor ${id} is in use and cannot be modified.`);
      await trx.deleteFrom('flavor').where('id', '=', id).execute();
    });
    reply.code(204);
  });
}
export { POST_FIELDS as FLAVOR_POST_FIELDS, PUT_FIELDS as FLAVOR_PUT_FIELDS };
