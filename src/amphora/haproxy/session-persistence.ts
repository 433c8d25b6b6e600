import type { PoolRow } from '../../db/schema.js';
import { quoteArg } from './haproxy-text.js';

interface Persistence {
  type: string;
  cookie_name?: string | null;
}

/** The pool's session persistence type, if any. */
export const persistenceType = (pool: PoolRow): string | undefined =>
  pool.session_persistence === null ? undefined : (JSON.parse(pool.session_persistence) as Persistence).type;

/** Backend lines for a pool's session persistence; cookie kinds need an http backend. */
export function persistenceLines(pool: PoolRow, mode: 'http' | 'tcp'): string[] {
  if (pool.session_persistence === null) return [];
  const sp = JSON.parse(pool.session_persistence) as Persistence;
  if (sp.type === 'SOURCE_IP') return ['stick-table type ipv6 size 10k', 'stick on src'];
  if (mode !== 'http') return [`# ${sp.type} persistence needs HTTP: not applied to a tcp backend`];
  if (sp.type === 'HTTP_COOKIE') return ['cookie SRV insert indirect nocache'];
  if (sp.type === 'APP_COOKIE' && sp.cookie_name) {
    const name = quoteArg(sp.cookie_name);
    return [
      'stick-table type string len 64 size 10k',
      `stick store-response res.cook(${name})`,
      `stick match req.cook(${name})`,
    ];
  }
  return [];
}
