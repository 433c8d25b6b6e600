import type { FastifyInstance } from 'fastify';
import { baseUrl, type NetworkApiContext } from './context.js';
import { listBody, type Query } from './listing.js';
import { notFound } from './neutron-error.js';

/** `GET /` (versions, no token needed), `GET /v2.0` (resources) and the extensions that are true here. */

const RESOURCES: Array<[string, string]> = [
  ['network', 'networks'],
  ['subnet', 'subnets'],
  ['port', 'ports'],
  ['router', 'routers'],
  ['floatingip', 'floatingips'],
  ['security_group', 'security-groups'],
  ['security_group_rule', 'security-group-rules'],
];

/** alias, name, description: only what this API really does. */
const EXTENSIONS: Array<[string, string, string]> = [
  ['external-net', 'Neutron external network', 'Adds external network attribute to network resource.'],
  [
    'router',
    'Neutron L3 Router',
    'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
  ],
  [
    'ext-gw-mode',
    'Neutron L3 Configurable external gateway mode',
    'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
  ],
  ['security-group', 'security-group', 'The security groups extension.'],
  ['port-security', 'Port Security', 'Provides port security'],
  ['fip-port-details', 'Floating IP Port Details Extension', 'Add port_details attribute to Floating IP resource'],
  ['project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'],
  ['standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes'],
  [
    'standard-attr-revisions',
    'Resource revision numbers',
    'This extension will display the revision number of neutron resources.',
  ],
  [
    'standard-attr-timestamp',
    'Resource timestamps',
    'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.',
  ],
];

const extensionView = ([alias, name, description]: [string, string, string]) => ({
  alias,
  name,
  description,
  links: [],
  updated: '2024-01-01T00:00:00-00:00',
});

export async function rootRoutes(app: FastifyInstance, _ctx: NetworkApiContext): Promise<void> {
  app.get('/', async (req) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${baseUrl(req)}/v2.0/`, rel: 'self' }] }],
  }));
  app.get('/v2.0', async (req) => ({
    resources: RESOURCES.map(([name, collection]) => ({
      name,
      collection: collection.replace(/-/g, '_'),
      links: [{ href: `${baseUrl(req)}/v2.0/${collection}`, rel: 'self' }],
    })),
  }));
  app.get('/v2.0/extensions', async (req) =>
    listBody('extensions', 'extensions', EXTENSIONS.map(extensionView), req.query as Query, baseUrl(req)),
  );
  app.get<{ Params: { alias: string } }>('/v2.0/extensions/:alias', async (req) => {
    const found = EXTENSIONS.find(([alias]) => alias === req.params.alias);
    if (!found) throw notFound.extension(req.params.alias);
    return { extension: extensionView(found) };
  });
}
