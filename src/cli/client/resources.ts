/** Where each Octavia resource lives and how its bodies are keyed. */
export interface ResourceKind {
  /** Name in messages: "Unable to find load balancer ...". */
  label: string;
  /** Collection path under the endpoint; children take their parent's id. */
  collection: (parentId?: string) => string;
  /** Key of one object in bodies ({"listener": {...}}) and of the collection ({"listeners": [...]}). */
  itemKey: string;
  listKey: string;
  /** The attribute that identifies it in URLs: availability zones go by name. */
  primaryKey: 'id' | 'name';
  /** Whether it can be found by name (amphorae and L7 rules have none). */
  named: boolean;
  /** Served by the network service rather than the load-balancer one. */
  network?: boolean;
}

const lbaas = (path: string) => () => `/v2/lbaas/${path}`;

function kind(
  label: string,
  collection: ResourceKind['collection'],
  itemKey: string,
  listKey: string,
  extra: Partial<ResourceKind> = {},
): ResourceKind {
  return { label, collection, itemKey, listKey, primaryKey: 'id', named: true, ...extra };
}

export const LOAD_BALANCER = kind('load balancer', lbaas('loadbalancers'), 'loadbalancer', 'loadbalancers');
export const LISTENER = kind('listener', lbaas('listeners'), 'listener', 'listeners');
export const POOL = kind('pool', lbaas('pools'), 'pool', 'pools');
export const MEMBER = kind(
  'member',
  (pool) => `/v2/lbaas/pools/${encodeURIComponent(pool ?? '')}/members`,
  'member',
  'members',
);
export const HEALTH_MONITOR = kind('health monitor', lbaas('healthmonitors'), 'healthmonitor', 'healthmonitors');
export const L7POLICY = kind('l7policy', lbaas('l7policies'), 'l7policy', 'l7policies');
export const L7RULE = kind(
  'l7rule',
  (policy) => `/v2/lbaas/l7policies/${encodeURIComponent(policy ?? '')}/rules`,
  'rule',
  'rules',
  {
    named: false,
  },
);
export const AMPHORA = kind('amphora', () => '/v2/octavia/amphorae', 'amphora', 'amphorae', { named: false });
export const FLAVOR = kind('flavor', lbaas('flavors'), 'flavor', 'flavors');
export const FLAVOR_PROFILE = kind('flavor profile', lbaas('flavorprofiles'), 'flavorprofile', 'flavorprofiles');
export const AVAILABILITY_ZONE = kind(
  'availability zone',
  lbaas('availabilityzones'),
  'availability_zone',
  'availability_zones',
  {
    primaryKey: 'name',
  },
);
export const AVAILABILITY_ZONE_PROFILE = kind(
  'availability zone profile',
  lbaas('availabilityzoneprofiles'),
  'availability_zone_profile',
  'availability_zone_profiles',
);

const neutron = (path: string) => () => `/v2.0/${path}`;
export const SUBNET = kind('subnet', neutron('subnets'), 'subnet', 'subnets', { network: true });
export const NETWORK = kind('network', neutron('networks'), 'network', 'networks', { network: true });
export const PORT = kind('port', neutron('ports'), 'port', 'ports', { network: true });
export const QOS_POLICY = kind('QoS policy', neutron('qos/policies'), 'policy', 'policies', { network: true });
export const FLOATING_IP = kind('floating IP', neutron('floatingips'), 'floatingip', 'floatingips', { network: true });
