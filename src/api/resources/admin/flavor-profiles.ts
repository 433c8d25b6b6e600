import type { FastifyInstance } from 'fastify';
import { badRequest, conflict } from '../../../common/errors.js';
import { newId } from '../../../common/ids.js';
import type { AvailabilityZoneProfileRow, FlavorProfileRow } from '../../../db/schema.js';
import { findOrFail, listResource, showResource, type ResourceDef } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { required, str, validateBody, type FieldMap } from '../../validation/fields.js';
import { FLAVOR_METADATA, validateMetadata, type MetadataKind } from './flavor-metadata.js';

/**
 * Flavor profiles and availability zone profiles: the same admin CRUD over {id, name, provider_name, <data>},
 * written directly (nothing to provision). A profile in use keeps its provider and data (409).
 */

type ProfileTable = 'flavor_profile' | 'availability_zone_profile';
type ProfileRow = FlavorProfileRow | AvailabilityZoneProfileRow;

export interface ProfileSpec {
  def: ResourceDef<ProfileTable>;
  path: string;
  /** The links key, which for profiles is not `<plural>_links`. */
  linksKey: string;
  /** Octavia's name for the body argument, quoted by "Unknown attribute for argument ...". */
  argName: string;
  metadata: MetadataKind;
  /** Whether anything still uses the profile. */
  inUse(services: ApiServices, id: string): Promise<boolean>;
}

const dataOf = (row: ProfileRow, option: MetadataKind['option']) => (row as unknown as Record<string, string>)[option]!;

/** A profile row in Octavia's field order; the data column is named as the metadata option. */
export function profileSerializer(option: MetadataKind['option']): ResourceDef<ProfileTable>['serialize'] {
  return async (rows) =>
    rows.map((r) => ({ id: r.id, name: r.name, provider_name: r.provider_name, [option]: dataOf(r, option) }));
}

/** Register list, show, create (201), update (200) and delete (204) for one kind of profile. */
export async function profileRoutes(app: FastifyInstance, services: ApiServices, spec: ProfileSpec): Promise<void> {
  const { def, metadata } = spec;
  const data = metadata.option;
  const fields = (mandatory: boolean): FieldMap => {
    const f: FieldMap = { name: str(), provider_name: str(), [data]: str(4096) };
    return mandatory ? Object.fromEntries(Object.entries(f).map(([k, v]) => [k, required(v)])) : f;
  };
  const kysely = () => services.db.kysely;
  type ById = { Params: { id: string } };

  app.get(spec.path, async (req) => {
    const out = await listResource(req, def, services);
    return { [def.plural]: out[def.plural], [spec.linksKey]: out[`${def.plural}_links`] };
  });
  app.get<ById>(`${spec.path}/:id`, (req) => showResource(req, def, services, req.params.id));

  app.post(spec.path, async (req, reply) => {
    const body = validateBody(req.body, def.singular, spec.argName, fields(true), true);
    validateMetadata(metadata, body.provider_name as string, body[data] as string);
    const row = {
      id: newId(),
      name: body.name as string,
      provider_name: body.provider_name as string,
      [data]: body[data] as string,
    };
    await kysely()
      .insertInto(def.table)
      .values(row as never)
      .execute();
    reply.code(201);
    return { [def.singular]: (await def.serialize([row as never], services))[0] };
  });

  app.put<ById>(`${spec.path}/:id`, async (req) => {
    const id = req.params.id;
    const body = validateBody(req.body, def.singular, spec.argName, fields(false), false);
    const row = (await findOrFail(def, services, id)) as ProfileRow;
    for (const key of ['name', 'provider_name', data]) {
      if (key in body && body[key] === null) throw badRequest(`None is not a valid option for ${key}`);
    }
    const changesBinding = 'provider_name' in body || data in body;
    if (changesBinding) {
      if (await spec.inUse(services, id)) throw conflict(`${def.label} ${id} is in use and cannot be modified.`);
      validateMetadata(
        metadata,
        (body.provider_name as string | undefined) ?? row.provider_name,
        (body[data] as string | undefined) ?? dataOf(row, data),
      );
    }
    if (Object.keys(body).length > 0)
      await kysely()
        .updateTable(def.table)
        .set(body as never)
        .where('id', '=', id)
        .execute();
    return showResource(req, def, services, id);
  });

  app.delete<ById>(`${spec.path}/:id`, async (req, reply) => {
    const id = req.params.id;
    await findOrFail(def, services, id);
    if (await spec.inUse(services, id)) throw conflict(`${def.label} ${id} is in use and cannot be modified.`);
    await kysely().deleteFrom(def.table).where('id', '=', id).execute();
    reply.code(204);
  });
}

/** Flavor profiles: `/v2/lbaas/flavorprofiles`, in use while a flavor refers to them. */
export const FLAVOR_PROFILES: ProfileSpec = {
  def: {
    table: 'flavor_profile',
    singular: 'flavorprofile',
    plural: 'flavorprofiles',
    label: 'Flavor profile',
    list: { columns: { id: 'id', name: 'name', provider_name: 'provider_name', flavor_data: 'flavor_data' } },
    serialize: profileSerializer('flavor_data'),
  },
  path: '/v2/lbaas/flavorprofiles',
  linksKey: 'flavorprofile_links',
  argName: 'flavor_profile_',
  metadata: FLAVOR_METADATA,
  async inUse(services, id) {
    return !!(await services.db.kysely
      .selectFrom('flavor')
      .select('id')
      .where('flavor_profile_id', '=', id)
      .executeTakeFirst());
  },
};
