import { CliError } from './runtime.js';

/** An error answer from an OpenStack API: the status and the message its body carries. */
export class ApiFault extends CliError {
  constructor(
    readonly status: number,
    readonly fault: string,
    readonly requestId?: string,
  ) {
    super(`${fault} (HTTP ${status})${requestId ? ` (Request-ID: ${requestId})` : ''}`);
  }
}

/** The message of an error body: Octavia's faultstring, Keystone's error.message, or the text itself. */
export function faultMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, any>;
    const candidates = [body?.faultstring, body?.error?.message, body?.NeutronError?.message, body?.message];
    const found = candidates.find((c) => typeof c === 'string' && c !== '');
    if (found) return found;
  } catch {
    /* not JSON: fall through to the text */
  }
  const trimmed = text.trim();
  return trimmed !== '' && trimmed.length < 500 ? trimmed : `Request failed with status ${status}`;
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

/** Encode query parameters; arrays repeat the key (Octavia reads repeated filters). */
export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** A JSON client for one service endpoint with the headers authentication chose. */
export class ApiClient {
  constructor(
    readonly endpoint: string,
    private readonly headers: Record<string, string>,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const url = this.endpoint.replace(/\/+$/, '') + path + queryString(query);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          'user-agent': 'tavia-cli',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new CliError(`Unable to establish connection to ${url}: ${cause}`);
    }
    const text = await res.text();
    if (!res.ok) {
      throw new ApiFault(
        res.status,
        faultMessage(res.status, text),
        res.headers.get('x-openstack-request-id') ?? undefined,
      );
    }
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`The API answered ${method} ${path} with a body that is not JSON`);
    }
  }

  get = <T = any>(path: string, query?: Query) => this.request<T>('GET', path, undefined, query);
  post = <T = any>(path: string, body: unknown) => this.request<T>('POST', path, body);
  put = <T = any>(path: string, body?: unknown) => this.request<T>('PUT', path, body);
  delete = (path: string, query?: Query) => this.request<void>('DELETE', path, undefined, query);

  /** GET a whole collection, following `<key>_links` next pages (bounded). */
  async list<T = any>(path: string, key: string, query?: Query): Promise<T[]> {
    const first = await this.get<Record<string, unknown>>(path, query);
    const items = [...((first?.[key] as T[] | undefined) ?? [])];
    let next = nextLink(first, key);
    for (let page = 0; next && page < 1000; page++) {
      const body = await this.getAbsolute<Record<string, unknown>>(next);
      items.push(...((body?.[key] as T[] | undefined) ?? []));
      next = nextLink(body, key);
    }
    return items;
  }

  /** Follow a link the API gave: same origin and credentials, the link's own path and query. */
  private async getAbsolute<T>(link: string): Promise<T> {
    const target = new URL(link, this.endpoint);
    const base = new URL(this.endpoint);
    const basePath = base.pathname.replace(/\/+$/, '');
    const path = target.pathname.startsWith(basePath) ? target.pathname.slice(basePath.length) : target.pathname;
    return this.get<T>(path + target.search);
  }
}

function nextLink(body: Record<string, unknown> | undefined, key: string): string | undefined {
  const links = body?.[`${key}_links`];
  if (!Array.isArray(links)) return undefined;
  const next = links.find((l) => l && typeof l === 'object' && (l as { rel?: string }).rel === 'next');
  return next ? (next as { href?: string }).href : undefined;
}
