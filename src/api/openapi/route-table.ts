import type { FastifyInstance } from 'fastify';

/** One route as Fastify registered it: the method and the URL pattern (`/v2/lbaas/pools/:pool_id/members`). */
export interface RouteRecord {
  method: string;
  url: string;
}

/**
 * Record every route registered on `app` from now on (call it before the route modules). The list fills
 * as routes are added; it is complete once the app is ready. The HEAD twins Fastify adds for each GET are
 * left out: they are implied.
 */
export function collectRoutes(app: FastifyInstance): RouteRecord[] {
  const routes: RouteRecord[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const upper = method.toUpperCase();
      if (upper === 'HEAD' || upper === 'OPTIONS') continue;
      routes.push({ method: upper, url: route.url });
    }
  });
  return routes;
}

/** `:name` and `:name(regex)` segments of a Fastify URL, in order. */
const PARAM = /:([A-Za-z_][A-Za-z0-9_]*)(\([^)]*\))?/g;

/** The names of a URL's path parameters, in order. */
export function pathParameterNames(url: string): string[] {
  return [...url.matchAll(PARAM)].map((m) => m[1]!);
}

/** A Fastify URL as an OpenAPI path template: `/pools/:pool_id` becomes `/pools/{pool_id}`. */
export function openApiPath(url: string): string {
  return url.replace(PARAM, (_m, name: string) => `{${name}}`);
}

/** A URL with every parameter as `*`, so routes can be matched whatever their parameters are called. */
export function pathShape(url: string): string {
  return url.replace(PARAM, '*');
}
