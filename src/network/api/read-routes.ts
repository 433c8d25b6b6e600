import type { FastifyInstance } from 'fastify';
import { callerOf, baseUrl, findVisible, type NetworkApiContext } from './context.js';
import { sees, type Caller } from './caller.js';
import { listBody, selectFields, type Query } from './listing.js';
import type { ResourceKind } from './neutron-error.js';
import type { Item } from './views.js';

/** A resource's list and show: the same for every collection. */
export interface ReadableResource {
  kind: ResourceKind;
  /** The body key of one object (`network`). */
  singular: string;
  /** The body key of a list (`networks`, `security_groups`). */
  collection: string;
  /** The URL segment (`networks`, `security-groups`). */
  path: string;
  load(ctx: NetworkApiContext, id?: string): Promise<Item[]>;
  /** Before a list (Neutron makes the caller's default security group here). */
  beforeList?(ctx: NetworkApiContext, caller: Caller): Promise<void>;
}

export function registerReadRoutes(app: FastifyInstance, ctx: NetworkApiContext, resource: ReadableResource): void {
  app.get(`/v2.0/${resource.path}`, async (req) => {
    const caller = callerOf(req);
    await resource.beforeList?.(ctx, caller);
    const items = (await resource.load(ctx)).filter((item) => sees(caller, item));
    return listBody(
      resource.collection,
      resource.path,
      items.map((i) => i.view),
      req.query as Query,
      baseUrl(req),
    );
  });
  app.get<{ Params: { id: string } }>(`/v2.0/${resource.path}/:id`, async (req) => {
    const item = await findVisible((id) => resource.load(ctx, id), resource.kind, callerOf(req), req.params.id);
    return { [resource.singular]: selectFields(item.view, req.query as Query) };
  });
}
