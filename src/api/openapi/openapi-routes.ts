import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument, type DocumentOptions } from './document.js';
import { collectRoutes } from './route-table.js';
import type { JsonSchema } from './json-schema.js';

/**
 * The URL the document is served at. The API's URL rewrite strips a `.json` suffix before routing, so
 * `GET /openapi.json` reaches this route too (and is the spelling to advertise).
 */
export const OPENAPI_URL = '/openapi';

/**
 * Serve the OpenAPI document of `app` at `GET /openapi` (and `/openapi.json`); the policy layer lists it
 * among the routes that need no token (`PUBLIC_ROUTES`). Call it before the route modules register: it
 * records every route added after it and builds the document once the app is ready, when the route table
 * is complete. The document leaves out its own route.
 */
export async function openApiRoutes(app: FastifyInstance, options: DocumentOptions = {}): Promise<void> {
  const routes = collectRoutes(app);
  let document: JsonSchema | undefined;
  const build = () =>
    buildOpenApiDocument(
      routes.filter((r) => r.url !== OPENAPI_URL),
      options,
    );
  // Built when the app is ready, so a catalog error shows at start rather than on the first request.
  app.addHook('onReady', async () => {
    document = build();
  });
  app.get(OPENAPI_URL, async () => (document ??= build()));
}
