import { badRequest } from '../../common/errors.js';
import type { Tx } from '../../db/provisioning.js';
import type { LoadBalancerRow } from '../../db/schema.js';
import type { QuotaName } from '../quota-check.js';
import type { ApiServices } from '../services.js';

/** What a graph create adds beside the load balancer, already serialized for the 201 response. */
export interface GraphResult {
  listeners: Array<Record<string, unknown>>;
  pools: Array<Record<string, unknown>>;
}

/** How many objects of each quota a graph create would add. */
export function countGraph(body: Record<string, unknown>): Partial<Record<QuotaName, number>> {
  const listeners = Array.isArray(body.listeners) ? body.listeners.length : 0;
  const pools = Array.isArray(body.pools) ? body.pools.length : 0;
  return { listener: listeners, pool: pools };
}

/**
 * Create the listeners and pools embedded in a POST loadbalancer body (Octavia's "graph create"),
 * as PENDING_CREATE rows in the load balancer's transaction.
 */
export async function createGraphChildren(
  _trx: Tx,
  _services: ApiServices,
  _lb: LoadBalancerRow,
  body: Record<string, unknown>,
  _rawBody: unknown,
): Promise<GraphResult | undefined> {
  const hasListeners = Array.isArray(body.listeners) && body.listeners.length > 0;
  const hasPools = Array.isArray(body.pools) && body.pools.length > 0;
  if (!hasListeners && !hasPools) return undefined;
  throw badRequest('Creating listeners and pools together with a load balancer is not supported yet.');
}
