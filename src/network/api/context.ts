import type { FastifyRequest } from 'fastify';
import type { TaviaConfig } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import type { Db } from '../../db/database.js';
import type { FloatingIpForwarding } from '../floating/forwarding.js';
import { owns, sees, type Caller } from './caller.js';
import { forbidden, notFound, type ResourceKind } from './neutron-error.js';
import type { Item } from './views.js';

/** What every route module of the network API gets. */
export interface NetworkApiContext {
  db: Db;
  config: TaviaConfig;
  log: Logger;
  /** Told after every floating IP change (and port deletions that drop associations). */
  forwarding?: Pick<FloatingIpForwarding, 'sync'>;
}

const callers = new WeakMap<FastifyRequest, Caller>();

export function setCaller(req: FastifyRequest, caller: Caller): void {
  callers.set(req, caller);
}

export function callerOf(req: FastifyRequest): Caller {
  const caller = callers.get(req);
  if (!caller) throw new Error('request without a caller');
  return caller;
}

/** `http://host:port` as the client addressed us, for links. */
export function baseUrl(req: FastifyRequest): string {
  const host = req.headers.host ?? `${req.hostname}`;
  return `${req.protocol}://${host}`;
}

/** The object the caller may see, else the resource's 404 (Neutron hides what a project may not see). */
export async function findVisible(
  load: (id: string) => Promise<Item[]>,
  kind: ResourceKind,
  caller: Caller,
  id: string,
): Promise<Item> {
  const item = (await load(id))[0];
  if (!item || !sees(caller, item)) throw notFound[kind](id);
  return item;
}

/** The object the caller may change: 404 when not visible, 403 when visible but another project's. */
export async function findOwned(
  load: (id: string) => Promise<Item[]>,
  kind: ResourceKind,
  caller: Caller,
  id: string,
  action: string,
): Promise<Item> {
  const item = await findVisible(load, kind, caller, id);
  if (!owns(caller, item)) throw forbidden(action);
  return item;
}

/** True when a database error is a unique constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
