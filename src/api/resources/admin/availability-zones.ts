import type { FastifyInstance } from 'fastify';
import { badRequest, conflict, notFound } from '../../../common/errors.js';
import { toBool, type AvailabilityZoneRow } from '../../../db/schema.js';
import { parseListParams, selectFields, type Query } from '../../listing.js';
import { listCollection, type CollectionDef } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { bool, required, str, uuid, validateBody, type FieldMap } from '../../validation/fields.js';
import { AVAILABILITY_ZONE_PROFILES } from './availability-zone-profiles.js';
import { profileRoutes } from './flavor-profiles.js';
import { isUniqueViolation } from './flavors.js';

const POST_FIELDS: FieldMap = {
  name: required(str()),
  description: str(),
  enabled: bool(),
  availability_zone_profile_id: required(uuid()),
};

const PUT_FIELDS: FieldMap = { description: str(), enabled: bool() };

/** An availability zone in the field order Octavia answers with. */
export function serializeAvailabilityZone(r: AvailabilityZoneRow): Record<string, unknown> {
  return {
    name: r.name,
    description: r.description ?? '',
    enabled: toBool(r.enabled),
    availability_zone_profile_id: r.availability_zone_profile_id,
  };
}

const zoneList: CollectionDef<'availability_zone'> = {
  table: 'availability_zone',
  key: 'name',
  plural: 'availability_zones',
  list: {
    columns: {
      name: 'name',
      description: 'description',
      enabled: 'enabled',
      availability_zone_profile_id: 'availability_zone_profile_id',
    },
    kinds: { enabled: 'bool' },
  },
};

async function findZone(services: ApiServices, name: string): Promise<AvailabilityZoneRow> {
  const row = await services.db.kysely
    .selectFrom('availability_zone')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw notFound(`Availability Zone ${name} not found.`);
  return row;
}

/** Availability zones (`/v2/lbaas/availabilityzones`, keyed by name) and their profiles; written directly. */
export async function availabilityZoneRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  await profileRoutes(app, services, AVAILABILITY_ZONE_PROFILES);
  const kysely = () => services.db.kysely;
  type ByName = { Params: { name: string } };
  const show = async (req: { query: unknown }, name: string) => {
    const { fields } = parseListParams({ fields: (req.query as Query).fields }, { columns: {} }, 1);
    return { availability_zone: selectFields(serializeAvailabilityZone(await findZone(services, name)), fields) };
  };

  app.get('/v2/lbaas/availabilityzones', (req) =>
    listCollection(req, zoneList, services, (rows) => rows.map(serializeAvailabilityZone)),
  );
  app.get<ByName>('/v2/lbaas/availabilityzones/:name', (req) => show(req, req.params.name));

  app.post('/v2/lbaas/availabilityzones', async (req, reply) => {
    const body = validateBody(req.body, 'availability_zone', 'availability_zone_', POST_FIELDS, true);
    const row: AvailabilityZoneRow = {
      name: body.name as string,
      description: (body.description as string | null | undefined) ?? null,
      enabled: (body.enabled as boolean | null | undefined) ?? true,
      availability_zone_profile_id: body.availability_zone_profile_id as string,
    };
    const taken = () => conflict(`A availability zone of ${row.name} already exists.`);
    try {
      await kysely()
        .transaction()
        .execute(async (trx) => {
          const profile = await trx
            .selectFrom('availability_zone_profile')
            .select('id')
            .where('id', '=', row.availability_zone_profile_id)
            .executeTakeFirst();
          if (!profile)
            throw badRequest(
              `${row.availability_zone_profile_id} is not a valid option for availability_zone_profile_id`,
            );
          if (await trx.selectFrom('availability_zone').select('name').where('name', '=', row.name).executeTakeFirst())
            throw taken();
          await trx.insertInto('availability_zone').values(row).execute();
        });
    } catch (err) {
      throw isUniqueViolation(err) ? taken() : err;
    }
    reply.code(201);
    return { availability_zone: serializeAvailabilityZone(row) };
  });

  app.put<ByName>('/v2/lbaas/availabilityzones/:name', async (req) => {
    const name = req.params.name;
    const body = validateBody(req.body, 'availability_zone', 'availability_zone_', PUT_FIELDS, false);
    await findZone(services, name);
    if ('enabled' in body && body.enabled === null) throw badRequest('None is not a valid option for enabled');
    if (Object.keys(body).length > 0)
      await kysely()
        .updateTable('availability_zone')
        .set(body as Partial<AvailabilityZoneRow>)
        .where('name', '=', name)
        .execute();
    return show(req, name);
  });

  app.delete<ByName>('/v2/lbaas/availabilityzones/:name', async (req, reply) => {
    const name = req.params.name;
    await findZone(services, name);
    await kysely()
      .transaction()
      .execute(async (trx) => {
        const user = await trx
          .selectFrom('load_balancer')
          .select('id')
          .where('availability_zone', '=', name)
          .executeTakeFirst();
        if (user) throw conflict(`Availability Zone ${name} is in use and cannot be modified.`);
        await trx.deleteFrom('availability_zone').where('name', '=', name).execute();
      });
    reply.code(204);
  });
}
export { POST_FIELDS as AVAILABILITY_ZONE_POST_FIELDS, PUT_FIELDS as AVAILABILITY_ZONE_PUT_FIELDS };
