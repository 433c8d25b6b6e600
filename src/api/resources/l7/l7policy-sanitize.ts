import { badRequest, validationFailure } from '../../../common/errors.js';
import type { Clean } from '../../validation/fields.js';
import { pyStr } from '../../validation/py-repr.js';

/**
 * An L7 policy's action and redirect attributes. Octavia lets the redirect attribute a client sends
 * decide the action, and keeps only the attribute the action uses; this module does the same.
 */
export interface PolicyRedirect {
  action: string;
  redirect_pool_id: string | null;
  redirect_url: string | null;
  redirect_prefix: string | null;
  redirect_http_code: number | null;
}

const REDIRECT_KEYS = ['action', 'redirect_pool_id', 'redirect_url', 'redirect_prefix', 'redirect_http_code'] as const;

/** The HTTP code of a URL or prefix redirect when the client gives none. */
export const DEFAULT_REDIRECT_CODE = 302;

const argsFault = (msg: string) => badRequest(`Invalid L7 Policy arguments: ${msg}`);
const actionFault = (action: unknown) => badRequest(`Invalid L7 Policy action specified: ${pyStr(action)}`);
const MISSING = {
  REDIRECT_TO_URL: 'redirect_url must not be None',
  REDIRECT_TO_POOL: 'redirect_pool_id or redirect_pool must not be None',
  REDIRECT_PREFIX: 'redirect_prefix must not be None',
} as const;

/** Python truthiness of a JSON value, which Octavia's checks rely on ('' and 0 count as absent). */
const given = (v: unknown) => v !== undefined && v !== null && v !== '' && v !== 0;

/**
 * Octavia's sanitising of a policy POST (`create`) or PUT body, in its order: the stated action
 * drops the redirect targets it does not use and must have its own; a pool together with a URL or
 * prefix is refused; then the redirect attribute sent decides the action (pool, then URL, then
 * prefix), and URL / prefix redirects get the 302 default. A PUT with nothing to change is refused.
 * Returns a copy of the body with the redirect attributes to write.
 */
export function sanitizeRedirectArgs(body: Clean, create: boolean): Clean {
  const d: Clean = { ...body };
  if (create) for (const key of REDIRECT_KEYS) if (!(key in d)) d[key] = null;
  if ('action' in d) {
    switch (d.action) {
      case 'REJECT':
        d.redirect_url = null;
        d.redirect_pool_id = null;
        break;
      case 'REDIRECT_TO_URL':
        if (!given(d.redirect_url)) throw argsFault(MISSING.REDIRECT_TO_URL);
        d.redirect_pool_id = null;
        break;
      case 'REDIRECT_TO_POOL':
        if (!given(d.redirect_pool_id)) throw argsFault(MISSING.REDIRECT_TO_POOL);
        d.redirect_url = null;
        break;
      case 'REDIRECT_PREFIX':
        if (!given(d.redirect_prefix)) throw argsFault(MISSING.REDIRECT_PREFIX);
        break;
      default:
        throw actionFault(d.action);
    }
  }
  if (given(d.redirect_pool_id) && (given(d.redirect_url) || given(d.redirect_prefix)))
    throw argsFault('Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time');
  if (given(d.redirect_pool_id))
    Object.assign(d, {
      action: 'REDIRECT_TO_POOL',
      redirect_url: null,
      redirect_prefix: null,
      redirect_http_code: null,
    });
  if (given(d.redirect_url)) {
    Object.assign(d, { action: 'REDIRECT_TO_URL', redirect_pool_id: null, redirect_prefix: null });
    if (!given(d.redirect_http_code)) d.redirect_http_code = DEFAULT_REDIRECT_CODE;
  }
  if (given(d.redirect_prefix)) {
    Object.assign(d, { action: 'REDIRECT_PREFIX', redirect_pool_id: null, redirect_url: null });
    if (!given(d.redirect_http_code)) d.redirect_http_code = DEFAULT_REDIRECT_CODE;
  }
  if (create && !('action' in d)) throw actionFault(null);
  if (Object.keys(d).length === 0) throw argsFault('Invalid update options');
  return d;
}

/**
 * The redirect attributes a policy ends up with once `changes` (a sanitised body) apply to
 * `current`: the action's own target must be set, the others are cleared, and the HTTP code is kept
 * only for URL and prefix redirects (302 when unset). Octavia checks only the body, so a PUT could
 * leave it inconsistent (e.g. `redirect_url: null` on a URL redirect); here that is refused.
 */
export function resolveRedirect(current: PolicyRedirect, changes: Clean): PolicyRedirect {
  const merged: PolicyRedirect = { ...current };
  for (const key of REDIRECT_KEYS) if (key in changes) (merged as unknown as Clean)[key] = changes[key];
  const out: PolicyRedirect = {
    action: merged.action,
    redirect_pool_id: null,
    redirect_url: null,
    redirect_prefix: null,
    redirect_http_code: null,
  };
  switch (merged.action) {
    case 'REJECT':
      return out;
    case 'REDIRECT_TO_POOL':
      if (!given(merged.redirect_pool_id)) throw argsFault(MISSING.REDIRECT_TO_POOL);
      return { ...out, redirect_pool_id: merged.redirect_pool_id };
    case 'REDIRECT_TO_URL':
      if (!given(merged.redirect_url)) throw argsFault(MISSING.REDIRECT_TO_URL);
      return {
        ...out,
        redirect_url: merged.redirect_url,
        redirect_http_code: merged.redirect_http_code ?? DEFAULT_REDIRECT_CODE,
      };
    case 'REDIRECT_PREFIX':
      if (!given(merged.redirect_prefix)) throw argsFault(MISSING.REDIRECT_PREFIX);
      return {
        ...out,
        redirect_prefix: merged.redirect_prefix,
        redirect_http_code: merged.redirect_http_code ?? DEFAULT_REDIRECT_CODE,
      };
    default:
      throw actionFault(merged.action);
  }
}

/** Characters RFC 3986 allows anywhere in a URI; everything else (spaces, controls, quotes, <>) is refused. */
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;
/** `http(s)://`, optional userinfo, then a non-empty host (name, IPv4 or [IPv6]) and an optional port. */
const HTTP_AUTHORITY = /^https?:\/\/(?:[^@/?#]*@)?(?:\[[0-9A-Fa-f:.]+\]|[^:/?#[\]@]+)(?::\d*)?(?:[/?#]|$)/i;

/** Whether `value` is an absolute http or https URL with a host, as redirect_url and redirect_prefix must be. */
export function isRedirectUrl(value: string): boolean {
  if (!URI_CHARS.test(value) || BAD_PERCENT.test(value) || !HTTP_AUTHORITY.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Refuse a redirect_url / redirect_prefix that is not such a URL, with Octavia's URL-type fault. */
export function checkRedirectUrls(body: Clean): void {
  for (const key of ['redirect_url', 'redirect_prefix']) {
    const value = body[key];
    if (typeof value === 'string' && !isRedirectUrl(value))
      throw badRequest(`Invalid input for field/attribute ${key}. Value: '${value}'. Value must be a valid URL string`);
  }
}

/** Listener protocols whose traffic HAProxy inspects at layer 7. */
const L7_PROTOCOLS = ['HTTP', 'TERMINATED_HTTPS'];

/** L7 policies need an HTTP-aware listener; PROMETHEUS listeners take no children at all. */
export function checkPolicyListenerProtocol(protocol: string): void {
  if (protocol === 'PROMETHEUS') throw badRequest('Protocol PROMETHEUS listeners cannot have child objects.');
  if (!L7_PROTOCOLS.includes(protocol))
    throw validationFailure('L7 policies are only supported on HTTP and TERMINATED_HTTPS listeners.');
}
