import { SESSION_PERSISTENCE_TYPES } from '../../common/constants.js';
import type { ListSpec } from '../listing.js';
import { AVAILABILITY_ZONE_PROFILES } from '../resources/admin/availability-zone-profiles.js';
import { AVAILABILITY_ZONE_POST_FIELDS, AVAILABILITY_ZONE_PUT_FIELDS } from '../resources/admin/availability-zones.js';
import { amphoraDef } from '../resources/admin/amphorae.js';
import { FLAVOR_PROFILES, type ProfileSpec } from '../resources/admin/flavor-profiles.js';
import { FLAVOR_POST_FIELDS, FLAVOR_PUT_FIELDS, flavorDef } from '../resources/admin/flavors.js';
import { QUOTA_PUT_FIELDS } from '../resources/admin/quotas.js';
import {
  GRAPH_HEALTH_MONITOR_FIELDS,
  GRAPH_LISTENER_FIELDS,
  GRAPH_MEMBER_FIELDS,
  GRAPH_POLICY_FIELDS,
  GRAPH_POOL_FIELDS,
} from '../resources/graph/graph-shape.js';
import { HM_POST_FIELDS, HM_PUT_FIELDS, healthMonitorDef } from '../resources/health-monitors/health-monitor-model.js';
import { L7POLICY_POST_FIELDS, L7POLICY_PUT_FIELDS, l7PolicyDef } from '../resources/l7/l7policies.js';
import { RULE_CREATE_FIELDS, RULE_POST_FIELDS, RULE_PUT_FIELDS } from '../resources/l7/l7rule-model.js';
import { l7RuleDef } from '../resources/l7/l7rules.js';
import { LISTENER_POST_FIELDS, LISTENER_PUT_FIELDS } from '../resources/listeners/listener-fields.js';
import { listenerDef } from '../resources/listeners/listener-view.js';
import {
  LOAD_BALANCER_POST_FIELDS,
  LOAD_BALANCER_PUT_FIELDS,
  loadBalancerDef,
} from '../resources/load-balancers/load-balancers.js';
import { MEMBER_POST_FIELDS, MEMBER_PUT_FIELDS, memberDef } from '../resources/members/member-model.js';
import { POOL_POST_FIELDS, POOL_PUT_FIELDS } from '../resources/pools/pool-fields.js';
import { poolDef } from '../resources/pools/pool-view.js';
import { enumOf, int, ip, required, str, type FieldMap } from '../validation/fields.js';
import { fieldMapSchema, type JsonSchema, type RawFieldSchemas } from './json-schema.js';

/**
 * What the route table cannot tell: which resource family a URL belongs to, the FieldMaps its bodies are
 * checked against, its list filters, and the status codes it answers with. Everything here is imported from
 * the route modules themselves; a route this catalog does not know is flagged in the document
 * (`x-undocumented`) and fails the OpenAPI test, so a new route cannot go unnoticed.
 */

/** A query parameter beyond the collection ones. */
export interface QueryParamDoc {
  name: string;
  description: string;
  schema: JsonSchema;
}

/** A body `{"<rootKey>": {...}}` checked by `validateBody(body, rootKey, _, fields, enforceRequired)`. */
export interface WrappedBody {
  rootKey: string;
  fields: FieldMap;
  enforceRequired: boolean;
}

/** An operation that is not one of the five standard ones (or changes one of them). */
export interface ActionDoc {
  summary: string;
  /** The success status. */
  status: number;
  /** The key the answer is wrapped in; absent: the answer has no body. */
  responseKey?: string;
  /** The whole response schema, when it is not `{<responseKey>: {...}}`. */
  response?: JsonSchema;
  body?: WrappedBody | { schema: JsonSchema };
  query?: QueryParamDoc[];
}

export interface ResourceDoc {
  tag: string;
  description: string;
  /** Singular and plural nouns for summaries. */
  noun: [string, string];
  /** The collection URL with every path parameter as `*`. */
  collection: string;
  singular: string;
  plural: string;
  /** The key of the page links in a list; null when the list has none (providers). */
  linksKey: string | null;
  /** The attributes a list may be filtered on; absent when the module does not export them. */
  filters?: ListSpec;
  /** Whether the list takes limit/marker/page_reverse/sort (providers take only fields and filters). */
  paged: boolean;
  create?: FieldMap;
  update?: FieldMap;
  /**
   * Everything else, by `<METHOD> <suffix>`, the suffix being what follows the collection (`/*` for the item).
   * An entry for a standard operation (`PUT /*`) replaces what the defaults would say about it.
   */
  actions?: Record<string, ActionDoc>;
}

const bool = (description: string, name: string): QueryParamDoc => ({
  name,
  description,
  schema: { type: 'boolean' },
});

const STATS: ActionDoc = { summary: 'Show statistics', status: 200, responseKey: 'stats' };

/** The standard CRUD of a `ResourceDef`-backed resource. */
function crud(
  def: { singular: string; plural: string; list: ListSpec },
  rest: Omit<ResourceDoc, 'singular' | 'plural' | 'linksKey' | 'filters' | 'paged'>,
): ResourceDoc {
  return {
    singular: def.singular,
    plural: def.plural,
    linksKey: `${def.plural}_links`,
    filters: def.list,
    paged: true,
    ...rest,
  };
}

/** The name, provider and data fields of a profile (as `profileRoutes` builds them). */
function profileFields(spec: ProfileSpec, mandatory: boolean): FieldMap {
  const fields: FieldMap = { name: str(), provider_name: str(), [spec.metadata.option]: str(4096) };
  return mandatory ? Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, required(v)])) : fields;
}

function profile(spec: ProfileSpec, tag: string, noun: [string, string], description: string): ResourceDoc {
  return {
    ...crud(spec.def, {
      tag,
      description,
      noun,
      collection: spec.path,
      create: profileFields(spec, true),
      update: profileFields(spec, false),
    }),
    linksKey: spec.linksKey,
  };
}

export const RESOURCES: ResourceDoc[] = [
  crud(loadBalancerDef, {
    tag: 'Load Balancers',
    description: 'Load balancers, their status tree, statistics and failover.',
    noun: ['load balancer', 'load balancers'],
    collection: '/v2/lbaas/loadbalancers',
    create: LOAD_BALANCER_POST_FIELDS,
    update: LOAD_BALANCER_PUT_FIELDS,
    actions: {
      'DELETE /*': {
        summary: 'Delete a load balancer',
        status: 204,
        query: [bool('Delete the listeners, pools and everything below them too.', 'cascade')],
      },
      'GET /*/status': { summary: 'Show the status tree of a load balancer', status: 200, responseKey: 'statuses' },
      'GET /*/statuses': { summary: 'Show the status tree of a load balancer', status: 200, responseKey: 'statuses' },
      'GET /*/stats': { ...STATS, summary: 'Show the statistics of a load balancer' },
      'PUT /*/failover': { summary: 'Fail over every amphora of a load balancer', status: 202 },
    },
  }),
  crud(listenerDef, {
    tag: 'Listeners',
    description: 'Listeners: the ports a load balancer accepts traffic on.',
    noun: ['listener', 'listeners'],
    collection: '/v2/lbaas/listeners',
    create: LISTENER_POST_FIELDS,
    update: LISTENER_PUT_FIELDS,
    actions: { 'GET /*/stats': { ...STATS, summary: 'Show the statistics of a listener' } },
  }),
  crud(poolDef, {
    tag: 'Pools',
    description: 'Pools of backend members.',
    noun: ['pool', 'pools'],
    collection: '/v2/lbaas/pools',
    create: POOL_POST_FIELDS,
    update: POOL_PUT_FIELDS,
  }),
  crud(memberDef, {
    tag: 'Members',
    description: 'Members of a pool, one by one or as a batch.',
    noun: ['member', 'members'],
    collection: '/v2/lbaas/pools/*/members',
    create: MEMBER_POST_FIELDS,
    update: MEMBER_PUT_FIELDS,
    actions: {
      'PUT ': {
        summary: 'Replace the members of a pool in one batch',
        status: 202,
        body: {
          schema: {
            type: 'object',
            properties: { members: { type: 'array', items: { $ref: '#/components/schemas/MemberCreate' } } },
            required: ['members'],
            additionalProperties: false,
          },
        },
        query: [bool('Only add and update members; leave out the ones the list does not name.', 'additive_only')],
      },
    },
  }),
  crud(healthMonitorDef, {
    tag: 'Health Monitors',
    description: 'Health monitors of pools.',
    noun: ['health monitor', 'health monitors'],
    collection: '/v2/lbaas/healthmonitors',
    create: HM_POST_FIELDS,
    update: HM_PUT_FIELDS,
  }),
  crud(l7PolicyDef, {
    tag: 'L7 Policies',
    description: 'Layer 7 policies of listeners.',
    noun: ['L7 policy', 'L7 policies'],
    collection: '/v2/lbaas/l7policies',
    create: L7POLICY_POST_FIELDS,
    update: L7POLICY_PUT_FIELDS,
  }),
  crud(l7RuleDef, {
    tag: 'L7 Rules',
    description: 'Rules of a layer 7 policy.',
    noun: ['L7 rule', 'L7 rules'],
    collection: '/v2/lbaas/l7policies/*/rules',
    create: RULE_POST_FIELDS,
    update: RULE_PUT_FIELDS,
  }),
  {
    tag: 'Quotas',
    description: 'Per-project quotas (admin).',
    noun: ['quota', 'quotas'],
    collection: '/v2/lbaas/quotas',
    singular: 'quota',
    plural: 'quotas',
    linksKey: 'quotas_links',
    paged: true,
    update: QUOTA_PUT_FIELDS,
    actions: {
      'GET /defaults': { summary: 'Show the default quota', status: 200, responseKey: 'quota' },
      'GET /*/default': { summary: 'Show the default quota', status: 200, responseKey: 'quota' },
      'PUT /*': {
        summary: 'Set the quota of a project',
        status: 202,
        responseKey: 'quota',
        body: { rootKey: 'quota', fields: QUOTA_PUT_FIELDS, enforceRequired: false },
      },
      'DELETE /*': { summary: 'Reset the quota of a project to the defaults', status: 202 },
    },
  },
  {
    tag: 'Providers',
    description: 'Provider drivers and their capabilities.',
    noun: ['provider', 'providers'],
    collection: '/v2/lbaas/providers',
    singular: 'provider',
    plural: 'providers',
    linksKey: null,
    filters: { columns: { name: 'name', description: 'description' } },
    paged: false,
    actions: {
      'GET /*/flavor_capabilities': {
        summary: 'List the flavor capabilities of a provider',
        status: 200,
        responseKey: 'flavor_capabilities',
      },
      'GET /*/availability_zone_capabilities': {
        summary: 'List the availability zone capabilities of a provider',
        status: 200,
        responseKey: 'availability_zone_capabilities',
      },
    },
  },
  crud(flavorDef, {
    tag: 'Flavors',
    description: 'Flavors: named sets of provider options.',
    noun: ['flavor', 'flavors'],
    collection: '/v2/lbaas/flavors',
    create: FLAVOR_POST_FIELDS,
    update: FLAVOR_PUT_FIELDS,
  }),
  profile(FLAVOR_PROFILES, 'Flavor Profiles', ['flavor profile', 'flavor profiles'], 'Flavor profiles (admin).'),
  {
    tag: 'Availability Zones',
    description: 'Availability zones, keyed by name.',
    noun: ['availability zone', 'availability zones'],
    collection: '/v2/lbaas/availabilityzones',
    singular: 'availability_zone',
    plural: 'availability_zones',
    linksKey: 'availability_zones_links',
    paged: true,
    create: AVAILABILITY_ZONE_POST_FIELDS,
    update: AVAILABILITY_ZONE_PUT_FIELDS,
  },
  profile(
    AVAILABILITY_ZONE_PROFILES,
    'Availability Zone Profiles',
    ['availability zone profile', 'availability zone profiles'],
    'Availability zone profiles (admin).',
  ),
  crud(amphoraDef, {
    tag: 'Amphorae',
    description: 'Amphorae: the instances that run HAProxy (admin).',
    noun: ['amphora', 'amphorae'],
    collection: '/v2/octavia/amphorae',
    actions: {
      'PUT /*/failover': { summary: 'Fail over an amphora', status: 202 },
      'PUT /*/config': { summary: 'Push the configuration of an amphora again', status: 202 },
      'GET /*/stats': { summary: 'Show the statistics of an amphora', status: 200, responseKey: 'amphora_stats' },
    },
  }),
];

/** Routes outside any resource family: the version discovery, which needs no token. */
export const STANDALONE: Record<string, ActionDoc & { tag: string; public: boolean }> = {
  'GET /': { tag: 'Versions', public: true, summary: 'List the API versions', status: 200, responseKey: 'versions' },
  'GET /v2': {
    tag: 'Versions',
    public: true,
    summary: 'Show the API root',
    status: 200,
    response: { type: 'string', const: 'v2' },
  },
};

/** A session persistence object, as `validation/session-persistence.ts` checks it on create. */
const SESSION_PERSISTENCE_FIELDS: FieldMap = {
  type: required(enumOf(SESSION_PERSISTENCE_TYPES)),
  cookie_name: str(),
  persistence_timeout: int(),
  persistence_granularity: ip(),
};

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const arrayOf = (name: string): JsonSchema => ({ type: 'array', items: ref(name) });

/**
 * The fields the FieldMaps leave `raw` because the route reads them itself: the objects of a graph create,
 * a pool's session persistence, a health monitor's HTTP version.
 */
export const rawFieldSchemas: RawFieldSchemas = (name) => {
  switch (name) {
    case 'listeners':
      return arrayOf('GraphListener');
    case 'pools':
      return arrayOf('GraphPool');
    case 'default_pool':
    case 'redirect_pool':
      return ref('GraphPool');
    case 'l7policies':
      return arrayOf('GraphL7Policy');
    case 'rules':
      return arrayOf('L7RuleCreate');
    case 'healthmonitor':
      return ref('GraphHealthMonitor');
    case 'members':
      return arrayOf('GraphMember');
    case 'session_persistence':
      return ref('SessionPersistence');
    case 'http_version':
      return { type: 'number', enum: [1.0, 1.1] };
    default:
      return undefined;
  }
};

/** The named schemas the raw fields refer to. */
export function sharedSchemas(): Record<string, JsonSchema> {
  const objectOf = (fields: FieldMap) => fieldMapSchema(fields, { enforceRequired: true, rawSchemas: rawFieldSchemas });
  return {
    GraphListener: objectOf(GRAPH_LISTENER_FIELDS),
    GraphPool: objectOf(GRAPH_POOL_FIELDS),
    GraphL7Policy: objectOf(GRAPH_POLICY_FIELDS),
    GraphHealthMonitor: objectOf(GRAPH_HEALTH_MONITOR_FIELDS),
    GraphMember: objectOf(GRAPH_MEMBER_FIELDS),
    L7RuleCreate: objectOf(RULE_CREATE_FIELDS),
    MemberCreate: objectOf(MEMBER_POST_FIELDS),
    SessionPersistence: objectOf(SESSION_PERSISTENCE_FIELDS),
  };
}
