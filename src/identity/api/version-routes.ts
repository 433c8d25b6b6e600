import type { FastifyInstance, FastifyRequest } from 'fastify';
import { baseUrl } from './identity-services.js';

/** Version discovery: keystoneauth reads these documents before it authenticates. */

function versionDocument(req: FastifyRequest) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${baseUrl(req)}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

export async function versionRoutes(app: FastifyInstance): Promise<void> {
  // 300 Multiple Choices, as Keystone: the root lists the versions to choose from.
  app.get('/', async (req, reply) => reply.code(300).send({ versions: { values: [versionDocument(req)] } }));
  app.get('/v3', async (req) => ({ version: versionDocument(req) }));
}
