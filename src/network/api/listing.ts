import { badRequest } from './neutron-error.js';

/** Neutron's list parameters over views: filters on any attribute (repeats are OR), fields, sort, paging. */

export type View = Record<string, unknown>;
export type Query = Record<string, string | string[] | undefined>;

const NOT_FILTERS = new Set(['fields', 'limit', 'marker', 'page_reverse', 'sort_key', 'sort_dir']);

const values = (q: string | string[] | undefined): string[] => (q === undefined ? [] : Array.isArray(q) ? q : [q]);

/** Whether one attribute value matches one filter value given as text. */
export function matches(actual: unknown, wanted: string): boolean {
  if (actual === null || actual === undefined) return wanted === '' || wanted === 'None';
  if (typeof actual === 'boolean') return ['true', '1'].includes(wanted.toLowerCase()) === actual;
  if (typeof actual === 'number') return wanted !== '' && Number(wanted) === actual;
  if (typeof actual === 'string') return actual === wanted;
  if (Array.isArray(actual)) {
    // `fixed_ips=ip_address=1.2.3.4`, `fixed_ips=subnet_id=X`: any element with that attribute value.
    const pair = /^([a-z_]+)=(.*)$/.exec(wanted);
    return actual.some((item) =>
      typeof item === 'object' && item !== null
        ? pair !== null && matches((item as View)[pair[1]!], pair[2]!)
        : matches(item, wanted),
    );
  }
  return false;
}

/** Keep the views matching every filter of the query (a 400 for a filter on an attribute that does not exist). */
export function filterViews(views: View[], query: Query, attributes: string[]): View[] {
  const filters = Object.entries(query).filter(([k]) => !NOT_FILTERS.has(k));
  for (const [key] of filters)
    if (!attributes.includes(key)) throw badRequest(`['${key}'] is invalid attribute for filtering`);
  return views.filter((view) =>
    filters.every(([key, wanted]) => values(wanted).some((one) => matches(view[key], one))),
  );
}

/** Only the attributes named by `fields` (all when none are named). */
export function selectFields(view: View, query: Query): View {
  const fields = values(query.fields).flatMap((f) => f.split(','));
  if (fields.length === 0) return view;
  return Object.fromEntries(fields.filter((f) => f in view).map((f) => [f, view[f]]));
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * The body of a list: `{"<collection>": [...]}`, filtered, sorted (`sort_key`/`sort_dir`, default by
 * creation), limited after `marker` with a `<collection>_links` next link as Neutron gives.
 */
export function listBody(
  collection: string,
  path: string,
  all: View[],
  query: Query,
  baseUrl: string,
): Record<string, unknown> {
  const attributes = all[0] ? Object.keys(all[0]) : [];
  let views = all.length > 0 ? filterViews(all, query, attributes) : all;
  const sortKeys = values(query.sort_key);
  const sortDirs = values(query.sort_dir);
  for (const key of sortKeys)
    if (attributes.length > 0 && !attributes.includes(key))
      throw badRequest(`${key} is an invalid attribute for sort_keys`);
  if (sortKeys.length > 0) {
    views = [...views].sort((a, b) => {
      for (const [i, key] of sortKeys.entries()) {
        const c = compare(a[key], b[key]) * (sortDirs[i] === 'desc' ? -1 : 1);
        if (c !== 0) return c;
      }
      return 0;
    });
  }
  const limitText = values(query.limit)[0];
  const body: Record<string, unknown> = {};
  if (limitText !== undefined) {
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      throw badRequest(`Limit must be an integer 0 or greater and not '${limitText}'`);
    const marker = values(query.marker)[0];
    const start = marker === undefined ? 0 : views.findIndex((v) => v.id === marker) + 1;
    const page = limit === 0 ? views.slice(start) : views.slice(start, start + limit);
    if (limit > 0 && start + limit < views.length) {
      const last = page[page.length - 1]!;
      body[`${collection}_links`] = [
        { href: `${baseUrl}/v2.0/${path}?limit=${limit}&marker=${String(last.id)}`, rel: 'next' },
      ];
    }
    views = page;
  }
  body[collection] = views.map((v) => selectFields(v, query));
  return body;
}
