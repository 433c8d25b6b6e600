import type { FastifyRequest } from 'fastify';
import type { SelectQueryBuilder } from 'kysely';
import { badRequest, notFound } from '../common/errors.js';
import type { Database } from '../db/schema.js';
import { applyListParams, pageLinks, parseListParams, selectFields, type ListSpec, type Query } from './listing.js';
import { authorize, listProjectScope, ownedBy } from './policy/enforcement.js';
import type { ApiServices } from './services.js';

/**
 * What the generic list and show handlers need to know about a resource: its table, its wrapper keys,
 * its label in "X not found." and how rows become API objects (in batches, so a list costs a few queries).
 */
export interface ResourceDef<T extends keyof Database> {
  table: T;
  singular: string;
  plural: string;
  label: string;
  list: ListSpec;
  serialize(rows: Array<Database[T]>, services: ApiServices): Promise<Array<Record<string, unknown>>>;
}

/** The request's URL without its query string, as an absolute URL for page links. */
export function baseUrl(req: FastifyRequest): string {
  const path = req.url.split('?')[0]!;
  return `${req.protocol}://${req.host}${path}`;
}

/** What a collection GET needs: the table, the column that identifies a row (the marker), the list key. */
export interface CollectionDef<T extends keyof Database> {
  table: T;
  /** The identifying column: `id`, or e.g. `name` for availability zones, `project_id` for quotas. */
  key?: keyof Database[T] & string;
  plural: string;
  list: ListSpec;
}

/**
 * GET on a collection: filters, sort, paging, fields, and the `<plural>_links` list. Rows are keyed by
 * `def.key` (default `id`), which is the marker and the last tie-breaker of the order.
 */
export async function listCollection<T extends keyof Database>(
  req: FastifyRequest,
  def: CollectionDef<T>,
  services: ApiServices,
  serialize: (rows: Array<Database[T]>) => Promise<Array<Record<string, unknown>>> | Array<Record<string, unknown>>,
  scope?: (q: SelectQueryBuilder<Database, T, Database[T]>) => SelectQueryBuilder<Database, T, Database[T]>,
): Promise<Record<string, unknown>> {
  const key = def.key ?? 'id';
  const params = parseListParams(req.query as Query, def.list, services.config.api.paginationMaxLimit);
  if (!params.sort.some((s) => s.column === key))
    params.sort.push({ column: key, key, desc: params.sort[0]?.desc ?? false });
  const select = () =>
    services.db.kysely.selectFrom(def.table as keyof Database).selectAll() as unknown as SelectQueryBuilder<
      Database,
      T,
      Database[T]
    >;
  let markerRow: Record<string, unknown> | undefined;
  if (params.marker !== undefined) {
    markerRow = (await select()
      .where(key as never, '=', params.marker as never)
      .executeTakeFirst()) as Record<string, unknown> | undefined;
    if (!markerRow)
      throw badRequest(`Invalid input for field/attribute marker. Value: '${params.marker}'. The marker is not valid`);
  }
  const rows = (await applyListParams(
    scope ? scope(select()) : select(),
    def.table,
    params,
    markerRow,
    def.list,
  ).execute()) as Array<Database[T]>;
  if (params.pageReverse) rows.reverse();
  const items = await serialize(rows);
  const keys = rows.map((r) => String((r as unknown as Record<string, unknown>)[key]));
  return {
    [def.plural]: items.map((item) => selectFields(item, params.fields)),
    [`${def.plural}_links`]: pageLinks(baseUrl(req), params, keys),
  };
}

/** GET on the collection of a provisioned resource (keyed by `id`). */
export function listResource<T extends keyof Database>(
  req: FastifyRequest,
  def: ResourceDef<T>,
  services: ApiServices,
  scope?: (q: SelectQueryBuilder<Database, T, Database[T]>) => SelectQueryBuilder<Database, T, Database[T]>,
): Promise<Record<string, unknown>> {
  return listCollection(req, def, services, (rows) => def.serialize(rows, services), scope);
}

/** Read one row by id or answer Octavia's 404 "<Label> <id> not found.". */
export async function findOrFail<T extends keyof Database>(
  def: Pick<ResourceDef<T>, 'table' | 'label'>,
  services: ApiServices,
  id: string,
): Promise<Database[T]> {
  const row = await services.db.kysely
    .selectFrom(def.table as keyof Database)
    .selectAll()
    .where('id' as never, '=', id as never)
    .executeTakeFirst();
  if (!row) throw notFound(`${def.label} ${id} not found.`);
  return row as unknown as Database[T];
}

/** GET on one object, with `fields` honoured. */
export async function showResource<T extends keyof Database>(
  req: FastifyRequest,
  def: ResourceDef<T>,
  services: ApiServices,
  id: string,
): Promise<Record<string, unknown>> {
  return showRow(req, def, services, await findOrFail(def, services, id));
}

/** The response of a GET on one object already read, with `fields` honoured. */
async function showRow<T extends keyof Database>(
  req: FastifyRequest,
  def: ResourceDef<T>,
  services: ApiServices,
  row: Database[T],
): Promise<Record<string, unknown>> {
  const [item] = await def.serialize([row], services);
  const fields = parseListParams({ fields: (req.query as Query).fields }, { columns: {} }, 1).fields;
  return { [def.singular]: selectFields(item!, fields) };
}

/** Tables whose rows belong to a project (the owning load balancer's, for children). */
type OwnedTable = 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor' | 'l7policy' | 'l7rule';

/** Read one row of a project by id (404 when unknown), then check the route's policy on its project (403). */
export async function findOwnedOrFail<T extends OwnedTable>(
  req: FastifyRequest,
  def: Pick<ResourceDef<T>, 'table' | 'label'>,
  services: ApiServices,
  id: string,
): Promise<Database[T]> {
  const row = await findOrFail(def, services, id);
  authorize(req, row.project_id);
  return row;
}

/** GET on one object of a project: 404 when unknown, 403 when the policy refuses, else the object. */
export async function showOwnedResource<T extends OwnedTable>(
  req: FastifyRequest,
  def: ResourceDef<T>,
  services: ApiServices,
  id: string,
): Promise<Record<string, unknown>> {
  // One read serves both the policy check and the answer.
  return showRow(req, def, services, await findOwnedOrFail(req, def, services, id));
}

/** GET on a collection of project objects: every project for global readers, else the caller's own. */
export function listOwnedResource<T extends OwnedTable>(
  req: FastifyRequest,
  def: ResourceDef<T>,
  services: ApiServices,
): Promise<Record<string, unknown>> {
  return listResource(req, def, services, ownedBy(def.table, listProjectScope(req)));
}

/** Tags of many resources at once. */
export async function loadTags(services: ApiServices, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const rows = await services.db.kysely
    .selectFrom('tag')
    .select(['resource_id', 'tag'])
    .where('resource_id', 'in', ids)
    .execute();
  for (const r of rows) {
    const list = out.get(r.resource_id) ?? [];
    list.push(r.tag);
    out.set(r.resource_id, list);
  }
  return out;
}

/** Group `{id}` references by a foreign key, for the `listeners: [{id}]`-style fields. */
export function groupIds<R extends { id: string }>(rows: R[], key: keyof R): Map<string, Array<{ id: string }>> {
  const out = new Map<string, Array<{ id: string }>>();
  for (const r of rows) {
    const k = r[key] as unknown as string | null;
    if (k === null || k === undefined) continue;
    const list = out.get(k) ?? [];
    list.push({ id: r.id });
    out.set(k, list);
  }
  return out;
}
