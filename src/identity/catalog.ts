import { createHash } from 'node:crypto';
import type { ServiceEndpoints } from './auth-context.js';

/** The service catalog a project-scoped token carries: identity, load-balancer and network. */

export interface CatalogEndpoint {
  id: string;
  interface: 'public' | 'internal' | 'admin';
  region: string;
  region_id: string;
  url: string;
}

export interface CatalogEntry {
  id: string;
  type: string;
  name: string;
  endpoints: CatalogEndpoint[];
}

const INTERFACES = ['public', 'internal', 'admin'] as const;

/** Stable ids, so a client that remembers an endpoint id sees the same one from every token and node. */
function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

function entry(type: string, name: string, url: string, region: string): CatalogEntry {
  return {
    id: stableId('service', type),
    type,
    name,
    endpoints: INTERFACES.map((iface) => ({
      id: stableId('endpoint', type, iface, region),
      interface: iface,
      region,
      region_id: region,
      url,
    })),
  };
}

/** Every interface of a service has the same URL: there is one listener per service. */
export function buildCatalog(endpoints: ServiceEndpoints, region: string): CatalogEntry[] {
  return [
    entry('identity', 'keystone', endpoints.identity, region),
    entry('load-balancer', 'octavia', endpoints.loadBalancer, region),
    entry('network', 'neutron', endpoints.network, region),
  ];
}
