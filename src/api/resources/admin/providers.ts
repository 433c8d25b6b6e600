import type { FastifyInstance } from 'fastify';
import { AVAILABILITY_ZONE_CAPABILITIES, FLAVOR_CAPABILITIES, PROVIDERS } from '../../../common/constants.js';
import { badRequest } from '../../../common/errors.js';
import { parseListParams, selectFields, type Query } from '../../listing.js';
import type { ApiServices } from '../../services.js';

/** Octavia's 400 for a provider that is not among the enabled ones. */
export function assertProviderEnabled(name: string): void {
  if (!PROVIDERS.some((p) => p.name === name)) throw badRequest(`Provider '${name}' is not enabled.`);
}

interface Described {
  name: string;
  description: string;
}

/** `fields` and the exact-match `name` / `description` filters Octavia honours on these small lists. */
function shape(items: readonly Described[], query: Query): Array<Partial<Described>> {
  const { fields } = parseListParams({ fields: query.fields }, { columns: {} }, 1);
  const only = (key: 'name' | 'description') => {
    const v = query[key];
    return Array.isArray(v) ? v[v.length - 1] : v;
  };
  const name = only('name');
  const description = only('description');
  return items
    .filter(
      (c) => (name === undefined || c.name === name) && (description === undefined || c.description === description),
    )
    .map((c) => selectFields({ name: c.name, description: c.description }, fields));
}

/** The enabled provider drivers and what each lets a flavor or availability zone profile set. */
export async function providerRoutes(app: FastifyInstance, _services: ApiServices): Promise<void> {
  type ByProvider = { Params: { provider: string } };
  // Providers have no `providers_links`, unlike every other collection.
  app.get('/v2/lbaas/providers', async (req) => ({ providers: shape(PROVIDERS, req.query as Query) }));
  app.get<ByProvider>('/v2/lbaas/providers/:provider/flavor_capabilities', async (req) => {
    assertProviderEnabled(req.params.provider);
    return { flavor_capabilities: shape(FLAVOR_CAPABILITIES, req.query as Query) };
  });
  app.get<ByProvider>('/v2/lbaas/providers/:provider/availability_zone_capabilities', async (req) => {
    assertProviderEnabled(req.params.provider);
    return { availability_zone_capabilities: shape(AVAILABILITY_ZONE_CAPABILITIES, req.query as Query) };
  });
}
