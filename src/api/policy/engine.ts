import { API_POLICIES, BASE_RULES, type Check } from './rules.js';

/** What a policy check knows about the caller. */
export interface Credentials {
  roles: readonly string[];
  /** The token's project; undefined for an unscoped token. */
  projectId: string | undefined;
  /** Octavia's `is_admin`: true in noauth mode, else the `context_is_admin` rule. */
  isAdmin: boolean;
}

/** What a policy check is about: the project that owns the object (null for objects of no project). */
export interface Target {
  projectId: string | null | undefined;
}

/** Rules refer to rules; a cycle in the table would otherwise recurse for ever. */
const MAX_DEPTH = 16;

/** Evaluate one check against the caller and the target. An unknown rule name denies. */
export function evaluate(check: Check, creds: Credentials, target: Target, depth = 0): boolean {
  if (depth > MAX_DEPTH) throw new Error('policy rules nest too deep (a cycle?)');
  if ('role' in check) return creds.roles.includes(check.role);
  if ('owner' in check)
    return creds.projectId !== undefined && target.projectId != null && creds.projectId === target.projectId;
  if ('isAdmin' in check) return creds.isAdmin;
  if ('rule' in check) {
    const named = BASE_RULES[check.rule];
    return named !== undefined && evaluate(named, creds, target, depth + 1);
  }
  if ('anyOf' in check) return check.anyOf.some((c) => evaluate(c, creds, target, depth + 1));
  return check.allOf.every((c) => evaluate(c, creds, target, depth + 1));
}

/** Whether an API policy (`os_load-balancer_api:<resource>:<action>`) allows the call. Unknown policies deny. */
export function isAllowed(policy: string, creds: Credentials, target: Target): boolean {
  const base = API_POLICIES[policy];
  return base !== undefined && evaluate({ rule: base }, creds, target);
}

/** Octavia's `context_is_admin`: the roles that make a token an administrator's. */
export function isAdminRoles(roles: readonly string[]): boolean {
  return evaluate({ rule: 'context_is_admin' }, { roles, projectId: undefined, isAdmin: false }, { projectId: null });
}
