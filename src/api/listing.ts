import { sql, type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { badRequest } from '../common/errors.js';
import type { Database } from '../db/schema.js';

/**
 * Octavia's collection parameters, shared by every list endpoint: equality filters on attributes,
 * `sort` / `sort_key` + `sort_dir`, `limit` / `marker` / `page_reverse` keyset paging with links,
 * `fields`, and the four tag filters.
 */

export type Query = Record<string, string | string[] | undefined>;

export interface ListSpec {
  /** API attribute name -> column, for the attributes that can be filtered and sorted on. */
  columns: Record<string, string>;
  /** How a filter value is read for a column (booleans and integers arrive as text). */
  kinds?: Record<string, 'bool' | 'int'>;
  /** Whether the table has tags (resource_id = id). */
  tagged?: boolean;
}

export interface ListParams {
  filters: Array<{ column: string; value: string | number | boolean }>;
  sort: Array<{ column: string; key: string; desc: boolean }>;
  limit: number;
  marker?: string;
  pageReverse: boolean;
  fields?: string[];
  tags: { all: string[]; any: string[]; notAll: string[]; notAny: string[] };
  /** The parameters to repeat in page links (everything but limit, marker, page_reverse). */
  passThrough: Array<[string, string]>;
}

const RESERVED = new Set([
  'limit',
  'marker',
  'page_reverse',
  'sort',
  'sort_key',
  'sort_dir',
  'fields',
  'tags',
  'tags-any',
  'not-tags',
  'not-tags-any',
]);

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);
const splitTags = (v: string | string[] | undefined) =>
  asList(v)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');

function parseBool(v: string): boolean | undefined {
  const w = v.toLowerCase();
  if (['true', '1', 't', 'yes', 'y', 'on'].includes(w)) return true;
  if (['false', '0', 'f', 'no', 'n', 'off'].includes(w)) return false;
  return undefined;
}

/** Read and check the collection parameters of a request. */
export function parseListParams(query: Query, spec: ListSpec, maxLimit: number): ListParams {
  const passThrough: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(query)) {
    if (k === 'limit' || k === 'marker' || k === 'page_reverse') continue;
    for (const item of asList(v)) passThrough.push([k, item]);
  }

  let limit = maxLimit;
  const rawLimit = single(query.limit);
  if (rawLimit !== undefined && rawLimit !== '') {
    if (rawLimit === 'infinite') limit = Number.MAX_SAFE_INTEGER;
    else {
      if (!/^-?\d+$/.test(rawLimit))
        throw badRequest(`Invalid input for field/attribute limit. Value: '${rawLimit}'. unable to convert to int`);
      const n = Number(rawLimit);
      limit = n < 1 ? Number.MAX_SAFE_INTEGER : Math.min(n, maxLimit > 0 ? maxLimit : n);
    }
  }

  const sort: ListParams['sort'] = [];
  const addSort = (key: string, dir: string) => {
    const column = spec.columns[key];
    if (!column) throw badRequest(`Invalid input for field/attribute sort. Value: '${key}'. The sort key is not valid`);
    if (dir !== 'asc' && dir !== 'desc')
      throw badRequest(
        `Invalid input for field/attribute sort_dir. Value: '${dir}'. The sort direction must be asc or desc`,
      );
    if (!sort.some((s) => s.column === column)) sort.push({ column, key, desc: dir === 'desc' });
  };
  const sortParam = asList(query.sort).join(',');
  if (sortParam !== '') {
    for (const part of sortParam.split(',').filter((p) => p.trim() !== '')) {
      const [key, dir = 'asc'] = part.trim().split(':');
      addSort(key!, dir.toLowerCase());
    }
  } else {
    const keys = asList(query.sort_key).flatMap((s) => s.split(','));
    const dirs = asList(query.sort_dir).flatMap((s) => s.split(','));
    keys.forEach((key, i) => addSort(key.trim(), (dirs[i] ?? dirs[0] ?? 'asc').trim().toLowerCase()));
    if (keys.length === 0 && dirs.length > 0) {
      const d = dirs[0]!.toLowerCase();
      if (d !== 'asc' && d !== 'desc')
        throw badRequest(
          `Invalid input for field/attribute sort_dir. Value: '${d}'. The sort direction must be asc or desc`,
        );
    }
  }
  // A stable order: created_at then id break every tie, as Octavia appends them.
  const tieDesc = sort[0]?.desc ?? false;
  if (spec.columns.created_at && !sort.some((s) => s.column === spec.columns.created_at))
    sort.push({ column: spec.columns.created_at, key: 'created_at', desc: tieDesc });
  if (spec.columns.id && !sort.some((s) => s.column === spec.columns.id))
    sort.push({ column: spec.columns.id, key: 'id', desc: tieDesc });

  const filters: ListParams['filters'] = [];
  for (const [key, raw] of Object.entries(query)) {
    if (RESERVED.has(key) || raw === undefined) continue;
    const column = spec.columns[key === 'tenant_id' ? 'project_id' : key];
    if (!column)
      throw badRequest(
        `Invalid input for field/attribute ${key}. Value: '${single(raw)}'. The attribute is not valid for filtering`,
      );
    const text = single(raw) ?? '';
    const kind = spec.kinds?.[key];
    let value: string | number | boolean = text;
    if (kind === 'bool') {
      const b = parseBool(text);
      if (b === undefined)
        throw badRequest(
          `Invalid input for field/attribute ${key}. Value: '${text}'. Value not an unambiguous boolean: ${text}`,
        );
      value = b;
    } else if (kind === 'int') {
      if (!/^-?\d+$/.test(text))
        throw badRequest(`Invalid input for field/attribute ${key}. Value: '${text}'. unable to convert to int`);
      value = Number(text);
      // Every integer column is 32-bit; PostgreSQL would fail on a larger literal.
      if (value < -2147483648 || value > 2147483647)
        throw badRequest(`Invalid input for field/attribute ${key}. Value: '${text}'. Value is out of range`);
    }
    filters.push({ column, value });
  }

  const fields = asList(query.fields)
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter((f) => f !== '');
  const pageReverse = parseBool(single(query.page_reverse) ?? 'false') === true;
  const marker = single(query.marker);
  return {
    filters,
    sort,
    limit,
    marker: marker === '' ? undefined : marker,
    pageReverse,
    fields: fields.length > 0 ? fields : undefined,
    tags: {
      all: splitTags(query.tags),
      any: splitTags(query['tags-any']),
      notAll: splitTags(query['not-tags']),
      notAny: splitTags(query['not-tags-any']),
    },
    passThrough,
  };
}

type AnyTable = keyof Database;

/**
 * Apply filters, tag filters, order and the page window to a select over `table`.
 * `markerRow` is the row of the marker id (read by the caller), or undefined.
 */
export function applyListParams<T extends AnyTable, O>(
  query: SelectQueryBuilder<Database, T, O>,
  table: T,
  params: ListParams,
  markerRow: Record<string, unknown> | undefined,
  spec: ListSpec,
): SelectQueryBuilder<Database, T, O> {
  let q = query;
  const ref = (column: string) => sql.ref(`${table}.${column}`);
  for (const f of params.filters) {
    q = q.where(() => sql<SqlBool>`${ref(f.column)} = ${f.value}`);
  }
  if (spec.tagged) {
    const tagCount = (tags: string[]) =>
      sql`(select count(*) from tag where tag.resource_id = ${ref('id')} and tag.tag in (${sql.join(tags)}))`;
    const { all, any, notAll, notAny } = params.tags;
    if (all.length > 0) q = q.where(() => sql<SqlBool>`${tagCount(all)} = ${all.length}`);
    if (any.length > 0) q = q.where(() => sql<SqlBool>`${tagCount(any)} > 0`);
    if (notAll.length > 0) q = q.where(() => sql<SqlBool>`${tagCount(notAll)} < ${notAll.length}`);
    if (notAny.length > 0) q = q.where(() => sql<SqlBool>`${tagCount(notAny)} = 0`);
  }
  // page_reverse walks backwards from the marker: flip every direction, then reverse the page.
  const order = params.sort.map((s) => ({ ...s, desc: params.pageReverse ? !s.desc : s.desc }));
  if (markerRow) {
    q = q.where((eb: ExpressionBuilder<Database, T>) => {
      const branches: Expression<SqlBool>[] = [];
      order.forEach((s, i) => {
        const equalities = order
          .slice(0, i)
          .map((p) => sql<SqlBool>`${ref(p.column)} = ${markerRow[p.column] as string}`);
        const cmp = s.desc ? sql.raw('<') : sql.raw('>');
        branches.push(eb.and([...equalities, sql<SqlBool>`${ref(s.column)} ${cmp} ${markerRow[s.column] as string}`]));
      });
      return eb.or(branches);
    });
  }
  for (const s of order) q = q.orderBy(sql.ref(`${table}.${s.column}`), s.desc ? 'desc' : 'asc');
  if (params.limit < Number.MAX_SAFE_INTEGER) q = q.limit(params.limit);
  return q;
}

export interface Link {
  href: string;
  rel: 'next' | 'previous';
}

/** Octavia's page links: "next" whenever the page is full, "previous" whenever a marker was sent. */
export function pageLinks(baseUrl: string, params: ListParams, ids: string[]): Link[] {
  const links: Link[] = [];
  if (ids.length === 0) return links;
  const href = (marker: string, reverse: boolean) => {
    const qs = new URLSearchParams();
    if (params.limit < Number.MAX_SAFE_INTEGER) qs.append('limit', String(params.limit));
    for (const [k, v] of params.passThrough) qs.append(k, v);
    qs.append('marker', marker);
    if (reverse) qs.append('page_reverse', 'True');
    return `${baseUrl}?${qs.toString()}`;
  };
  if (params.marker !== undefined) links.push({ href: href(ids[0]!, true), rel: 'previous' });
  if (ids.length >= params.limit) links.push({ href: href(ids[ids.length - 1]!, false), rel: 'next' });
  return links;
}

/** Keep only the requested attributes, in the resource's own order. */
export function selectFields<T extends Record<string, unknown>>(item: T, fields: string[] | undefined): Partial<T> {
  if (!fields) return item;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(item)) if (fields.includes(key)) out[key] = item[key];
  return out as Partial<T>;
}
