import { ApiClient, faultMessage, ApiFault } from '../api-client.js';
import { CliError } from '../runtime.js';
import type { AuthSettings } from './auth-settings.js';

/** The clients a command talks through once authenticated. */
export interface Session {
  loadBalancer: ApiClient;
  /** The network service, when the catalog has one (name lookups of subnets, networks, ports). */
  network?: ApiClient;
}

interface CatalogEntry {
  type?: string;
  name?: string;
  endpoints?: Array<{ interface?: string; region?: string; region_id?: string; url?: string }>;
}

/** Authenticate as the settings say and find the load-balancer endpoint. */
export async function openSession(settings: AuthSettings): Promise<Session> {
  if (settings.authType === 'none') {
    if (!settings.endpoint) {
      throw new CliError('OS_ENDPOINT (or --os-endpoint) is required when OS_AUTH_TYPE is none');
    }
    const headers: Record<string, string> = settings.projectId ? { 'x-project-id': settings.projectId } : {};
    return { loadBalancer: new ApiClient(settings.endpoint, headers) };
  }
  const { token, catalog } = await issueToken(settings);
  const headers = { 'x-auth-token': token };
  const lbUrl = settings.endpoint ?? endpointFromCatalog(catalog, 'load-balancer', settings);
  const networkUrl = findEndpoint(catalog, 'network', settings);
  return {
    loadBalancer: new ApiClient(lbUrl, headers),
    network: networkUrl ? new ApiClient(networkUrl, headers) : undefined,
  };
}

/** Keystone v3's base URL whether OS_AUTH_URL names the root or /v3. */
export function identityV3Url(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

/** POST /v3/auth/tokens: the token from X-Subject-Token and the catalog from the body. */
async function issueToken(settings: AuthSettings): Promise<{ token: string; catalog: CatalogEntry[] }> {
  if (!settings.authUrl) throw new CliError('OS_AUTH_URL (or --os-auth-url) is required to authenticate');
  const url = `${identityV3Url(settings.authUrl)}/auth/tokens`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'tavia-cli' },
      body: JSON.stringify({ auth: { identity: identityOf(settings), ...scopeOf(settings) } }),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new CliError(`Unable to establish connection to ${url}: ${cause}`);
  }
  const text = await res.text();
  if (!res.ok) throw new ApiFault(res.status, faultMessage(res.status, text));
  const token = res.headers.get('x-subject-token');
  if (!token) throw new CliError(`The identity service at ${url} answered without an X-Subject-Token header`);
  let catalog: CatalogEntry[] = [];
  try {
    catalog = (JSON.parse(text) as { token?: { catalog?: CatalogEntry[] } }).token?.catalog ?? [];
  } catch {
    throw new CliError(`The identity service at ${url} answered with a body that is not JSON`);
  }
  return { token, catalog };
}

function identityOf(s: AuthSettings): Record<string, unknown> {
  if (s.authType === 'token') {
    if (!s.token) throw new CliError('OS_TOKEN (or --os-token) is required when OS_AUTH_TYPE is token');
    return { methods: ['token'], token: { id: s.token } };
  }
  if (!s.password) throw new CliError('OS_PASSWORD (or --os-password) is required for password authentication');
  if (!s.userId && !s.username) {
    throw new CliError(
      'OS_USERNAME or OS_USER_ID (or --os-username / --os-user-id) is required for password authentication',
    );
  }
  const user = s.userId
    ? { id: s.userId, password: s.password }
    : { name: s.username, domain: domainOf(s.userDomainId, s.userDomainName), password: s.password };
  return { methods: ['password'], password: { user } };
}

function scopeOf(s: AuthSettings): Record<string, unknown> {
  if (s.projectId) return { scope: { project: { id: s.projectId } } };
  if (s.projectName) {
    return { scope: { project: { name: s.projectName, domain: domainOf(s.projectDomainId, s.projectDomainName) } } };
  }
  throw new CliError(
    'OS_PROJECT_ID or OS_PROJECT_NAME is required: the load-balancer API needs a project-scoped token',
  );
}

function domainOf(id?: string, name?: string): Record<string, string> {
  return id ? { id } : { name: name ?? 'Default' };
}

function findEndpoint(catalog: CatalogEntry[], type: string, s: AuthSettings): string | undefined {
  for (const service of catalog) {
    if (service.type !== type) continue;
    for (const ep of service.endpoints ?? []) {
      if (ep.interface !== s.interface || !ep.url) continue;
      if (s.regionName && ep.region !== s.regionName && ep.region_id !== s.regionName) continue;
      return ep.url;
    }
  }
  return undefined;
}

function endpointFromCatalog(catalog: CatalogEntry[], type: string, s: AuthSettings): string {
  const url = findEndpoint(catalog, type, s);
  if (url) return url;
  const where = `interface ${s.interface}${s.regionName ? `, region ${s.regionName}` : ''}`;
  throw new CliError(`No '${type}' endpoint in the service catalog (${where})`);
}
