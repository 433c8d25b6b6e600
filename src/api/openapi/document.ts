import type { ListSpec } from '../listing.js';
import {
  RESOURCES,
  STANDALONE,
  rawFieldSchemas,
  sharedSchemas,
  type ActionDoc,
  type QueryParamDoc,
  type ResourceDoc,
} from './api-catalog.js';
import { fieldMapSchema, wrappedBodySchema, type JsonSchema } from './json-schema.js';
import { openApiPath, pathParameterNames, pathShape, type RouteRecord } from './route-table.js';

/**
 * The OpenAPI 3.1 document of the API, built from the routes Fastify registered and the catalog of what
 * each one takes and answers. A pure function of its input, so it can be checked on a tiny app.
 */

export interface DocumentOptions {
  title?: string;
  version?: string;
  /** The catalog; the API's own by default (tests pass a small one). */
  resources?: ResourceDoc[];
}

type Operation = Record<string, unknown>;

const JSON_TYPE = 'application/json';
const FAULT_REF = '#/components/schemas/Fault';
const SECURITY_SCHEME = 'keystone';

/** Octavia's error responses; each body is `{faultcode, faultstring, debuginfo}`. */
const FAULT_RESPONSES: Record<string, [string, string]> = {
  BadRequest: ['400', 'The request is invalid (body, query or reference); nothing was changed.'],
  Unauthorized: ['401', 'No valid X-Auth-Token.'],
  Forbidden: ['403', 'Not allowed by policy, or over quota.'],
  NotFound: ['404', 'No such resource (or it is being deleted).'],
  Conflict: ['409', 'The object or its load balancer is immutable right now, or the change conflicts.'],
};

function components(): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [name, [, description]] of Object.entries(FAULT_RESPONSES))
    responses[name] = { description, content: { [JSON_TYPE]: { schema: { $ref: FAULT_REF } } } };
  responses.ServerError = {
    description: 'An unexpected error.',
    content: { [JSON_TYPE]: { schema: { $ref: FAULT_REF } } },
  };
  return {
    schemas: {
      Fault: {
        type: 'object',
        properties: {
          faultcode: { type: 'string', enum: ['Client', 'Server'] },
          faultstring: { type: 'string' },
          debuginfo: { type: ['string', 'null'] },
        },
        required: ['faultcode', 'faultstring', 'debuginfo'],
      },
      Link: {
        type: 'object',
        properties: { href: { type: 'string', format: 'uri' }, rel: { type: 'string', enum: ['next', 'previous'] } },
        required: ['href', 'rel'],
      },
      ...sharedSchemas(),
    },
    responses,
    parameters: COLLECTION_PARAMETERS,
    securitySchemes: {
      [SECURITY_SCHEME]: {
        type: 'apiKey',
        in: 'header',
        name: 'X-Auth-Token',
        description: 'A Keystone token (not needed when the API runs with auth_strategy noauth).',
      },
    },
  };
}

const stringList: JsonSchema = { type: 'array', items: { type: 'string' } };
const query = (name: string, description: string, schema: JsonSchema, extra: Record<string, unknown> = {}) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
  ...extra,
});

/** The parameters every collection shares (digest section 0, "List params"). */
const COLLECTION_PARAMETERS: Record<string, Record<string, unknown>> = {
  limit: query('limit', 'Page size; at most the configured maximum. `infinite` or < 1: no limit.', {
    type: ['integer', 'string'],
  }),
  marker: query('marker', 'The id of the last item of the previous page.', { type: 'string' }),
  page_reverse: query('page_reverse', 'Page backwards from the marker.', { type: 'boolean' }),
  sort: query('sort', 'Sort keys, `key[:asc|desc],...`.', { type: 'string' }),
  sort_key: query('sort_key', 'Legacy sort key (with sort_dir).', { type: 'string' }),
  sort_dir: query('sort_dir', 'Legacy sort direction.', { type: 'string', enum: ['asc', 'desc'] }),
  fields: query('fields', 'Return only these attributes.', stringList, { style: 'form', explode: true }),
  tags: query('tags', 'Objects with all of these tags.', stringList, { style: 'form', explode: false }),
  'tags-any': query('tags-any', 'Objects with any of these tags.', stringList, { style: 'form', explode: false }),
  'not-tags': query('not-tags', 'Objects without all of these tags.', stringList, { style: 'form', explode: false }),
  'not-tags-any': query('not-tags-any', 'Objects with none of these tags.', stringList, {
    style: 'form',
    explode: false,
  }),
};
const paramRef = (name: string) => ({ $ref: `#/components/parameters/${name}` });

/** Query parameters of a list: paging and sorting, `fields`, tag filters, and one equality filter per attribute. */
function listParameters(resource: ResourceDoc): unknown[] {
  const params: unknown[] = [];
  if (resource.paged) params.push(...['limit', 'marker', 'page_reverse', 'sort', 'sort_key', 'sort_dir'].map(paramRef));
  params.push(paramRef('fields'));
  const spec: ListSpec | undefined = resource.filters;
  if (spec?.tagged) params.push(...['tags', 'tags-any', 'not-tags', 'not-tags-any'].map(paramRef));
  for (const name of Object.keys(spec?.columns ?? {})) {
    if (name in COLLECTION_PARAMETERS) continue;
    const kind = spec?.kinds?.[name];
    const schema = kind === 'bool' ? { type: 'boolean' } : kind === 'int' ? { type: 'integer' } : { type: 'string' };
    params.push(query(name, `Only objects whose ${name} equals this value.`, schema));
  }
  return params;
}

const extraQuery = (docs: QueryParamDoc[] = []) => docs.map((d) => query(d.name, d.description, d.schema));

const objectWith = (key: string, value: JsonSchema): JsonSchema => ({
  type: 'object',
  properties: { [key]: value },
  required: [key],
});

/** The five standard operations of a resource, read from the method and the URL after the collection. */
function standardOperation(resource: ResourceDoc, method: string, suffix: string): ActionDoc | undefined {
  const [one, many] = resource.noun;
  const item = { type: 'object' };
  if (suffix === '' && method === 'GET') {
    const properties: Record<string, JsonSchema> = { [resource.plural]: { type: 'array', items: item } };
    if (resource.linksKey)
      properties[resource.linksKey] = { type: 'array', items: { $ref: '#/components/schemas/Link' } };
    return {
      summary: `List ${many}`,
      status: 200,
      response: { type: 'object', properties, required: [resource.plural] },
    };
  }
  if (suffix === '' && method === 'POST' && resource.create)
    return {
      summary: `Create ${article(one)} ${one}`,
      status: 201,
      responseKey: resource.singular,
      body: { rootKey: resource.singular, fields: resource.create, enforceRequired: true },
    };
  if (suffix === '/*' && method === 'GET')
    return {
      summary: `Show ${article(one)} ${one}`,
      status: 200,
      responseKey: resource.singular,
      query: [{ name: 'fields', description: 'Return only these attributes.', schema: stringList }],
    };
  if (suffix === '/*' && method === 'PUT' && resource.update)
    return {
      summary: `Update ${article(one)} ${one}`,
      status: 200,
      responseKey: resource.singular,
      body: { rootKey: resource.singular, fields: resource.update, enforceRequired: false },
    };
  if (suffix === '/*' && method === 'DELETE') return { summary: `Delete ${article(one)} ${one}`, status: 204 };
  return undefined;
}

const article = (noun: string) => (/^[aeiou]/i.test(noun) ? 'an' : 'a');

/** The resource whose collection is the longest prefix of the route's shape. */
function resourceOf(shape: string, resources: ResourceDoc[]): { resource: ResourceDoc; suffix: string } | undefined {
  let best: { resource: ResourceDoc; suffix: string } | undefined;
  for (const resource of resources) {
    const c = resource.collection;
    if (shape !== c && !shape.startsWith(`${c}/`)) continue;
    if (!best || c.length > best.resource.collection.length) best = { resource, suffix: shape.slice(c.length) };
  }
  return best;
}

function requestBody(action: ActionDoc): Record<string, unknown> | undefined {
  if (!action.body) return undefined;
  const schema =
    'schema' in action.body
      ? action.body.schema
      : wrappedBodySchema(
          action.body.rootKey,
          fieldMapSchema(action.body.fields, {
            enforceRequired: action.body.enforceRequired,
            rawSchemas: rawFieldSchemas,
          }),
        );
  return { required: true, content: { [JSON_TYPE]: { schema } } };
}

function successResponse(action: ActionDoc): Record<string, unknown> {
  const schema = action.response ?? (action.responseKey ? objectWith(action.responseKey, {}) : undefined);
  const description = action.status === 204 ? 'Done; no body.' : action.status === 202 ? 'Accepted.' : 'OK.';
  return schema ? { description, content: { [JSON_TYPE]: { schema } } } : { description };
}

interface OperationContext {
  method: string;
  url: string;
  tag: string;
  action: ActionDoc;
  isPublic: boolean;
  /** Whether the route belongs to a resource whose writes can conflict (409). */
  writes: boolean;
  /** Set on a collection GET: its paging, sorting and filter parameters. */
  listOf?: ResourceDoc;
  undocumented?: boolean;
}

function operation(ctx: OperationContext, operationId: string): Operation {
  const { method, url, action } = ctx;
  const pathParams = pathParameterNames(url).map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const responses: Record<string, unknown> = { [String(action.status)]: successResponse(action) };
  const fault = (name: keyof typeof FAULT_RESPONSES) => {
    responses[FAULT_RESPONSES[name]![0]] = { $ref: `#/components/responses/${name}` };
  };
  fault('BadRequest');
  if (!ctx.isPublic) {
    fault('Unauthorized');
    fault('Forbidden');
  }
  if (pathParams.length > 0) fault('NotFound');
  if (ctx.writes && method !== 'GET') fault('Conflict');
  responses.default = { $ref: '#/components/responses/ServerError' };

  const op: Operation = { tags: [ctx.tag], summary: action.summary, operationId };
  const parameters = [...pathParams, ...extraQuery(action.query), ...(ctx.listOf ? listParameters(ctx.listOf) : [])];
  if (parameters.length > 0) op.parameters = parameters;
  const body = requestBody(action);
  if (body) op.requestBody = body;
  op.responses = responses;
  if (ctx.isPublic) op.security = [];
  if (ctx.undocumented) op['x-undocumented'] = true;
  return op;
}

/** What the document says about one route. */
function describeRoute(route: RouteRecord, resources: ResourceDoc[]): OperationContext {
  const { method, url } = route;
  const standalone = STANDALONE[`${method} ${url}`];
  if (standalone)
    return { method, url, tag: standalone.tag, action: standalone, isPublic: standalone.public, writes: false };
  const found = resourceOf(pathShape(url), resources);
  if (!found)
    return {
      method,
      url,
      tag: 'Other',
      action: { summary: `${method} ${openApiPath(url)}`, status: 200 },
      isPublic: false,
      writes: false,
      undocumented: true,
    };
  const { resource, suffix } = found;
  const base = { method, url, tag: resource.tag, isPublic: false, writes: true };
  const special = resource.actions?.[`${method} ${suffix}`];
  if (special) return { ...base, action: special };
  const standard = standardOperation(resource, method, suffix);
  if (standard && suffix === '' && method === 'GET') return { ...base, action: standard, listOf: resource };
  if (standard) return { ...base, action: standard };
  return {
    ...base,
    action: { summary: `${method} ${openApiPath(url)}`, status: method === 'POST' ? 201 : 200 },
    undocumented: true,
  };
}

/** `getLoadBalancersIdStatus`-like ids: unique, since they spell out the method and the path. */
function operationIdOf(method: string, url: string): string {
  const words = url
    .replace(/^\/v2\/(lbaas|octavia)/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
  const camel = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return `${method.toLowerCase()}${camel || 'Root'}`;
}

/** Build the OpenAPI 3.1 document of `routes`. */
export function buildOpenApiDocument(routes: readonly RouteRecord[], options: DocumentOptions = {}): JsonSchema {
  const resources = options.resources ?? RESOURCES;
  const paths: Record<string, Record<string, Operation>> = {};
  const usedTags = new Set<string>();
  const seenIds = new Set<string>();
  const sorted = [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
  for (const route of sorted) {
    const ctx = describeRoute(route, resources);
    let id = operationIdOf(route.method, route.url);
    for (let n = 2; seenIds.has(id); n++) id = `${operationIdOf(route.method, route.url)}${n}`;
    seenIds.add(id);
    const op = operation(ctx, id);
    usedTags.add(ctx.tag);
    const path = openApiPath(route.url);
    (paths[path] ??= {})[route.method.toLowerCase()] = op;
  }
  const tags = [
    ...resources.filter((r) => usedTags.has(r.tag)).map((r) => ({ name: r.tag, description: r.description })),
    ...[...usedTags]
      .filter((t) => !resources.some((r) => r.tag === t))
      .sort()
      .map((name) => ({ name })),
  ];
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Tavia load balancer API (OpenStack Octavia v2)',
      version: options.version ?? '2',
      description:
        'Generated from the routes and request validators of this server. Errors use Octavia’s fault format.',
    },
    tags,
    security: [{ [SECURITY_SCHEME]: [] }],
    paths,
    components: components(),
  };
}
