import { nowTimestamp } from '../common/ids.js';
import type { Db } from '../db/database.js';
import type { NetworkRow, SubnetRow } from '../db/schema.js';
import { DEFAULT_NETWORK_IDS } from './default-ids.js';
import { ensureDefaultRouter } from './routers.js';

/**
 * The networks a devstack cloud starts with, on loopback ranges so a single host can bind every address:
 * `private` (the tenants' network) and `public` (the external one). Both are shared while the API runs
 * without identity; issue 5 brings projects.
 *
 * Their ids are fixed, so creating them is an insert that does nothing on a conflicting id: idempotent,
 * and two nodes starting together on one database end up with one copy. A default deleted by hand comes
 * back at the next start.
 */

export { DEFAULT_NETWORK_IDS };

type Stamps = 'created_at' | 'updated_at' | 'description' | 'revision_number';

interface DefaultNetwork {
  network: Omit<NetworkRow, Stamps>;
  subnet: Omit<SubnetRow, Stamps | 'allocation_pools'> & {
    pools: Array<{ start: string; end: string }>;
  };
}

const base = { project_id: null, admin_state_up: true, status: 'ACTIVE', shared: true, port_security_enabled: true };

const DEFAULTS: DefaultNetwork[] = [
  {
    network: { ...base, id: DEFAULT_NETWORK_IDS.private, name: 'private', router_external: false, mtu: 1500 },
    subnet: {
      id: DEFAULT_NETWORK_IDS.privateSubnet,
      network_id: DEFAULT_NETWORK_IDS.private,
      project_id: null,
      name: 'private-subnet',
      cidr: '127.10.0.0/16',
      ip_version: 4,
      gateway_ip: '127.10.0.1',
      // 127.10.192.0 - 127.10.255.254 stays outside the pool: fixed addresses (test backends on 127.10.200.x).
      pools: [{ start: '127.10.0.2', end: '127.10.191.254' }],
      enable_dhcp: true,
    },
  },
  {
    network: { ...base, id: DEFAULT_NETWORK_IDS.public, name: 'public', router_external: true, mtu: 1500 },
    subnet: {
      id: DEFAULT_NETWORK_IDS.publicSubnet,
      network_id: DEFAULT_NETWORK_IDS.public,
      project_id: null,
      name: 'public-subnet',
      cidr: '127.24.4.0/24',
      ip_version: 4,
      gateway_ip: '127.24.4.1',
      pools: [{ start: '127.24.4.2', end: '127.24.4.254' }],
      enable_dhcp: false,
    },
  },
];

/** Create the default networks, subnets and devstack's `router1` (routers.ts) that are missing. */
export async function ensureDefaultNetworks(db: Db): Promise<void> {
  const now = nowTimestamp();
  await db.kysely.transaction().execute(async (trx) => {
    for (const { network, subnet } of DEFAULTS) {
      await trx
        .insertInto('network')
        .values({ ...network, created_at: now, updated_at: null })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const { pools, ...columns } = subnet;
      await trx
        .insertInto('subnet')
        .values({ ...columns, allocation_pools: JSON.stringify(pools), created_at: now, updated_at: null })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
  });
  await ensureDefaultRouter(db);
}
