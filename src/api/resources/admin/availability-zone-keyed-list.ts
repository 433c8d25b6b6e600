import type { FastifyRequest } from 'fastify';
import type { SelectQueryBuilder } from 'kysely';
import { badRequest } from '../../../common/errors.js';
import type { Database } from '../../../db/schema.js';
import { applyListParams, pageLinks, parseListParams, selectFields, type ListSpec, type Query } from '../../listing.js';
import { baseUrl } from '../../resource.js';
import type { ApiServices } from '../../services.js';

/**
 * A collection GET for tables keyed by a column other than `id` (availability zones by name, quotas by
 * project): the same filters, sort, paging, fields and links as `listResource`, with the key as the
 * marker and the last tie-breaker.
 */
export interface KeyedListDef<T extends keyof Database> {
  table: T;
  key: keyof Database[T] & string;
  plural: string;
  list: ListSpec;
  serialize(rows: Array<Database[T]>): Array<Record<string, unknown>>;
}

export async function listKeyedResource<T extends keyof Database>(
  req: FastifyRequest,
  def: KeyedListDef<T>,
  services: ApiServices,
): Promise<Record<string, unknown>> {
  const params = parseListParams(req.query as Query, def.list, services.config.api.paginationMaxLimit);
  if (!params.sort.some((s) => s.column === def.key))
    params.sort.push({ column: def.key, key: def.key, desc: params.sort[0]?.desc ?? false });
  const kysely = services.db.kysely;
  const select = () =>
    kysely.selectFrom(def.table as keyof Database).selectAll() as unknown as SelectQueryBuilder<
      Database,
      T,
      Database[T]
    >;
  let markerRow: Record<string, unknown> | undefined;
  if (params.marker !== undefined) {
    markerRow = (await select()
      .where(def.key as never, '=', params.marker as never)
      .executeTakeFirst()) as Record<string, unknown> | undefined;
    if (!markerRow)
      throw badRequest(`Invalid input for field/attribute marker. Value: '${params.marker}'. The marker is not valid`);
  }
  const rows = (await applyListParams(select(), def.table, params, markerRow, def.list).execute()) as Array<
    Database[T]
  >;
  if (params.pageReverse) rows.reverse();
  const keys = rows.map((r) => String(r[def.key]));
  return {
    [def.plural]: def.serialize(rows).map((item) => selectFields(item, params.fields)),
    [`${def.plural}_links`]: pageLinks(baseUrl(req), params, keys),
  };
}
