import { badRequest, KeystoneError, UNAUTHORIZED_MESSAGE } from './keystone-errors.js';

/** The body of `POST /v3/auth/tokens`, checked and reduced to what the token path needs. */

export interface DomainRef {
  id?: string;
  name?: string;
}

export type UserRef = { id: string } | { name: string; domain: DomainRef };
export type ProjectRef = { id: string } | { name: string; domain: DomainRef };

export type AuthIdentity = { method: 'password'; user: UserRef; password: string } | { method: 'token'; token: string };

export type AuthScope =
  /** No scope given: the user's default project if usable, else unscoped (as Keystone). */
  | { kind: 'default' }
  | { kind: 'unscoped' }
  | { kind: 'project'; project: ProjectRef }
  /** Domain or system scope: this service assigns no roles there, so such a request cannot succeed. */
  | { kind: 'unsupported' };

export interface AuthRequest {
  identity: AuthIdentity;
  scope: AuthScope;
}

const MAX_NAME = 255;
const MAX_PASSWORD = 4096;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(field: string, problem: string): KeystoneError {
  return badRequest(`Invalid input for field '${field}': ${problem}`);
}

function objectAt(parent: Obj, key: string, path: string): Obj {
  const value = parent[key];
  if (value === undefined) throw invalid(path, `'${key}' is a required property`);
  if (!isObject(value)) throw invalid(`${path}.${key}`, 'must be an object');
  return value;
}

function stringAt(parent: Obj, key: string, path: string, max = MAX_NAME): string | undefined {
  const value = parent[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalid(`${path}.${key}`, `must be a string of 1 to ${max} characters`);
  }
  return value;
}

function domainRef(parent: Obj, path: string): DomainRef {
  const domain = objectAt(parent, 'domain', path);
  const id = stringAt(domain, 'id', `${path}.domain`);
  const name = stringAt(domain, 'name', `${path}.domain`);
  if (id === undefined && name === undefined) throw invalid(`${path}.domain`, "needs 'id' or 'name'");
  return id !== undefined ? { id } : { name };
}

/** `{id}` or `{name, domain}`: the way Keystone names a user or a project. */
function namedRef(obj: Obj, path: string): { id: string } | { name: string; domain: DomainRef } {
  const id = stringAt(obj, 'id', path);
  if (id !== undefined) return { id };
  const name = stringAt(obj, 'name', path);
  if (name === undefined) throw invalid(path, "needs 'id', or 'name' and 'domain'");
  return { name, domain: domainRef(obj, path) };
}

function parseIdentity(auth: Obj): AuthIdentity {
  const identity = objectAt(auth, 'identity', 'auth');
  const methods = identity.methods;
  if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string')) {
    throw invalid('auth.identity.methods', 'must be a non-empty list of strings');
  }
  // One method per request; anything else (totp, mapped, several at once) is not offered here.
  if (methods.length !== 1 || (methods[0] !== 'password' && methods[0] !== 'token')) {
    throw new KeystoneError(401, UNAUTHORIZED_MESSAGE);
  }
  if (methods[0] === 'password') {
    const password = objectAt(identity, 'password', 'auth.identity');
    const user = objectAt(password, 'user', 'auth.identity.password');
    const secret = user.password;
    if (typeof secret !== 'string' || secret.length > MAX_PASSWORD) {
      throw invalid('auth.identity.password.user.password', 'must be a string');
    }
    return { method: 'password', user: namedRef(user, 'auth.identity.password.user'), password: secret };
  }
  const token = objectAt(identity, 'token', 'auth.identity');
  const id = stringAt(token, 'id', 'auth.identity.token', 1024);
  if (id === undefined) throw invalid('auth.identity.token', "'id' is a required property");
  return { method: 'token', token: id };
}

function parseScope(auth: Obj): AuthScope {
  const scope = auth.scope;
  if (scope === undefined || scope === null) return { kind: 'default' };
  if (scope === 'unscoped') return { kind: 'unscoped' };
  if (!isObject(scope)) throw invalid('auth.scope', "must be an object or 'unscoped'");
  if (scope.project !== undefined) {
    const project = objectAt(scope, 'project', 'auth.scope');
    return { kind: 'project', project: namedRef(project, 'auth.scope.project') };
  }
  if (scope.domain !== undefined || scope.system !== undefined || scope['OS-TRUST:trust'] !== undefined) {
    return { kind: 'unsupported' };
  }
  throw invalid('auth.scope', "needs 'project'");
}

/** Check the request body; a 400 in Keystone's format for anything malformed. */
export function parseAuthRequest(body: unknown): AuthRequest {
  if (!isObject(body)) throw badRequest('The request body must be a JSON object with an "auth" key.');
  const auth = objectAt(body, 'auth', 'body');
  return { identity: parseIdentity(auth), scope: parseScope(auth) };
}
