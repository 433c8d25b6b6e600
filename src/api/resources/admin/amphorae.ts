import type { FastifyInstance } from 'fastify';
import { toBool, type AmphoraRow } from '../../../db/schema.js';
import { listResource, showResource, type ResourceDef } from '../../resource.js';
import type { ApiServices } from '../../services.js';
import { amphoraStats, configureAmphora, deleteAmphora, failoverAmphora } from './amphora-actions.js';

/** The amphora columns, under their API names (the load balancer is `loadbalancer_id` in the API). */
const COLUMNS: Record<string, string> = {
  id: 'id',
  loadbalancer_id: 'load_balancer_id',
  compute_id: 'compute_id',
  lb_network_ip: 'lb_network_ip',
  vrrp_ip: 'vrrp_ip',
  ha_ip: 'ha_ip',
  vrrp_port_id: 'vrrp_port_id',
  ha_port_id: 'ha_port_id',
  cert_expiration: 'cert_expiration',
  cert_busy: 'cert_busy',
  role: 'role',
  status: 'status',
  vrrp_interface: 'vrrp_interface',
  vrrp_id: 'vrrp_id',
  vrrp_priority: 'vrrp_priority',
  cached_zone: 'cached_zone',
  created_at: 'created_at',
  updated_at: 'updated_at',
  image_id: 'image_id',
  compute_flavor: 'compute_flavor',
};

/** How the generic list and show handlers read amphorae (`/v2/octavia/amphorae`, admin only). */
export const amphoraDef: ResourceDef<'amphora'> = {
  table: 'amphora',
  singular: 'amphora',
  plural: 'amphorae',
  label: 'Amphora',
  list: { columns: COLUMNS, kinds: { cert_busy: 'bool', vrrp_id: 'int', vrrp_priority: 'int' } },
  async serialize(rows) {
    return rows.map(serializeAmphora);
  },
};

/** An amphora in the field order Octavia answers with. */
export function serializeAmphora(r: AmphoraRow): Record<string, unknown> {
  return {
    id: r.id,
    loadbalancer_id: r.load_balancer_id,
    compute_id: r.compute_id,
    lb_network_ip: r.lb_network_ip,
    vrrp_ip: r.vrrp_ip,
    ha_ip: r.ha_ip,
    vrrp_port_id: r.vrrp_port_id,
    ha_port_id: r.ha_port_id,
    cert_expiration: r.cert_expiration,
    cert_busy: toBool(r.cert_busy),
    role: r.role,
    status: r.status,
    vrrp_interface: r.vrrp_interface,
    vrrp_id: r.vrrp_id,
    vrrp_priority: r.vrrp_priority,
    cached_zone: r.cached_zone,
    created_at: r.created_at,
    updated_at: r.updated_at,
    image_id: r.image_id,
    compute_flavor: r.compute_flavor,
  };
}

/** The admin-only amphora API: reads, delete of a broken amphora, failover, config refresh, stats. */
export async function amphoraRoutes(app: FastifyInstance, services: ApiServices): Promise<void> {
  type ById = { Params: { id: string } };
  app.get('/v2/octavia/amphorae', (req) => listResource(req, amphoraDef, services));
  app.get<ById>('/v2/octavia/amphorae/:id', (req) => showResource(req, amphoraDef, services, req.params.id));
  app.delete<ById>('/v2/octavia/amphorae/:id', async (req, reply) => {
    await deleteAmphora(services, req.params.id);
    reply.code(204);
  });
  app.put<ById>('/v2/octavia/amphorae/:id/failover', async (req, reply) => {
    await failoverAmphora(services, req.params.id);
    reply.code(202);
  });
  app.put<ById>('/v2/octavia/amphorae/:id/config', async (req, reply) => {
    await configureAmphora(services, req.params.id);
    reply.code(202);
  });
  app.get<ById>('/v2/octavia/amphorae/:id/stats', (req) => amphoraStats(services, req.params.id));
}
