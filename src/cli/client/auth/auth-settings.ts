import { Option, type Command } from 'commander';
import { UsageError } from '../runtime.js';

/** What authentication needs, from `--os-*` flags over `OS_*` variables (as the openstack CLI reads them). */
export interface AuthSettings {
  authType: 'password' | 'token' | 'none';
  authUrl?: string;
  username?: string;
  userId?: string;
  password?: string;
  userDomainId?: string;
  userDomainName?: string;
  projectId?: string;
  projectName?: string;
  projectDomainId?: string;
  projectDomainName?: string;
  token?: string;
  /** The load-balancer endpoint: required for `none`, an override of the catalog otherwise. */
  endpoint?: string;
  regionName?: string;
  interface: 'public' | 'internal' | 'admin';
}

/** flag name (without --os-) -> environment variable. */
const SETTINGS = {
  'auth-type': 'OS_AUTH_TYPE',
  'auth-url': 'OS_AUTH_URL',
  username: 'OS_USERNAME',
  'user-id': 'OS_USER_ID',
  password: 'OS_PASSWORD',
  'user-domain-id': 'OS_USER_DOMAIN_ID',
  'user-domain-name': 'OS_USER_DOMAIN_NAME',
  'project-id': 'OS_PROJECT_ID',
  'project-name': 'OS_PROJECT_NAME',
  'project-domain-id': 'OS_PROJECT_DOMAIN_ID',
  'project-domain-name': 'OS_PROJECT_DOMAIN_NAME',
  'default-domain-id': 'OS_DEFAULT_DOMAIN_ID',
  'default-domain-name': 'OS_DEFAULT_DOMAIN_NAME',
  token: 'OS_TOKEN',
  endpoint: 'OS_ENDPOINT',
  'region-name': 'OS_REGION_NAME',
  interface: 'OS_INTERFACE',
} as const;

type SettingName = keyof typeof SETTINGS;

export const AUTH_HELP = `
Authentication (each --os-* flag overrides its OS_* variable):
  OS_AUTH_TYPE      password (default), token, or none (also noauth: no Keystone)
  OS_AUTH_URL       Keystone, with or without /v3
  OS_USERNAME | OS_USER_ID, OS_PASSWORD, OS_USER_DOMAIN_ID | OS_USER_DOMAIN_NAME
  OS_PROJECT_ID | OS_PROJECT_NAME, OS_PROJECT_DOMAIN_ID | OS_PROJECT_DOMAIN_NAME
  OS_TOKEN          with OS_AUTH_TYPE=token
  OS_ENDPOINT       the load-balancer API (required with none; overrides the catalog otherwise)
  OS_REGION_NAME, OS_INTERFACE (public, internal, admin; default public)
  With none, OS_PROJECT_ID is sent as X-Project-Id.`;

/** Add the --os-* flags to a command (hidden from its help, which points to AUTH_HELP instead). */
export function addAuthOptions(cmd: Command): void {
  for (const [name, env] of Object.entries(SETTINGS)) {
    cmd.addOption(new Option(`--os-${name} <value>`, `overrides ${env}`).hideHelp());
  }
}

/** The settings from a command's parsed flags and the environment. */
export function readAuthSettings(opts: Record<string, unknown>, env: Record<string, string | undefined>): AuthSettings {
  const read = (name: SettingName): string | undefined => {
    const flag = opts[camel(`os-${name}`)];
    const value = typeof flag === 'string' ? flag : env[SETTINGS[name]];
    return value === undefined || value === '' ? undefined : value;
  };
  const token = read('token');
  const endpoint = read('endpoint');
  const authUrl = read('auth-url');
  const authType = authTypeOf(read('auth-type'), { token, endpoint, authUrl });
  const defaultDomainId = read('default-domain-id');
  const defaultDomainName = read('default-domain-name');
  // Like the openstack CLI, a missing user or project domain falls back to the default domain ('default').
  const domainFallback = (id?: string, name?: string) =>
    id || name
      ? { id, name }
      : defaultDomainName && !defaultDomainId
        ? { name: defaultDomainName }
        : { id: defaultDomainId ?? 'default' };
  const userDomain = domainFallback(read('user-domain-id'), read('user-domain-name'));
  const projectDomain = domainFallback(read('project-domain-id'), read('project-domain-name'));
  return {
    authType,
    authUrl,
    username: read('username'),
    userId: read('user-id'),
    password: read('password'),
    userDomainId: userDomain.id,
    userDomainName: userDomain.name,
    projectId: read('project-id'),
    projectName: read('project-name'),
    projectDomainId: projectDomain.id,
    projectDomainName: projectDomain.name,
    token,
    endpoint,
    regionName: read('region-name'),
    interface: interfaceOf(read('interface')),
  };
}

function authTypeOf(
  raw: string | undefined,
  seen: { token?: string; endpoint?: string; authUrl?: string },
): AuthSettings['authType'] {
  if (raw === undefined) {
    // No explicit type: a token means token auth, an endpoint without Keystone means no auth.
    if (seen.token) return 'token';
    if (seen.endpoint && !seen.authUrl) return 'none';
    return 'password';
  }
  const type = raw.toLowerCase();
  if (type === 'password' || type === 'v3password') return 'password';
  if (type === 'token' || type === 'v3token' || type === 'admin_token' || type === 'token_endpoint') return 'token';
  if (type === 'none' || type === 'noauth') return 'none';
  throw new UsageError(`Unsupported auth type '${raw}': use password, token or none`);
}

function interfaceOf(raw: string | undefined): AuthSettings['interface'] {
  const value = (raw ?? 'public').toLowerCase().replace(/url$/, '');
  if (value === 'public' || value === 'internal' || value === 'admin') return value;
  throw new UsageError(`Unknown interface '${raw}': use public, internal or admin`);
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
