import type { FastifyRequest } from 'fastify';
import type { TaviaConfig } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import type { Db } from '../../db/database.js';
import type { ServiceEndpoints } from '../auth-context.js';
import { forbiddenAction, unauthorized } from '../keystone-errors.js';
import type { LoginThrottle } from '../login-throttle.js';
import { resolveToken, type ResolvedToken } from '../resolved-token.js';

/** What every identity route module needs. */
export interface IdentityServices {
  db: Db;
  config: TaviaConfig;
  log: Logger;
  endpoints: () => ServiceEndpoints;
  throttle: LoginThrottle;
  /** How the throttle waits (tests may observe it). */
  sleep?: (ms: number) => Promise<void>;
}

/** `http://host:port` as the client addressed us: links point back the way the client came. */
export function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

/** The request's own URL, for a collection's `links.self`. */
export function selfUrl(req: FastifyRequest): string {
  return baseUrl(req) + req.url;
}

export function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The caller's token, resolved: a 401 when it is missing or no longer valid. */
export async function callerOf(req: FastifyRequest, services: IdentityServices): Promise<ResolvedToken> {
  const token = header(req, 'x-auth-token');
  const caller = token ? await resolveToken(services.db, token) : undefined;
  if (!caller) throw unauthorized();
  return caller;
}

export const hasRole = (caller: ResolvedToken, role: string) => caller.roles.some((r) => r.name === role);
export const isAdmin = (caller: ResolvedToken) => hasRole(caller, 'admin');

/** Keystone's default policy for writes and for reading others' entities: the admin role. */
export function requireAdmin(caller: ResolvedToken, action: string): void {
  if (!isAdmin(caller)) throw forbiddenAction(`identity:${action}`);
}

/** Keystone reads booleans in query strings loosely: present and not a spelling of false means true. */
export function queryFlag(value: unknown): boolean {
  if (value === undefined) return false;
  const text = String(value).toLowerCase();
  return text !== '0' && text !== 'false' && text !== 'no' && text !== 'off';
}

export function queryString(query: unknown, key: string): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[key];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}
