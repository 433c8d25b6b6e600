import type {
  IdentityDomainRow,
  IdentityProjectRow,
  IdentityRoleRow,
  IdentityUserRow,
} from '../../db/schema-identity.js';
import { toBool } from '../../db/schema.js';

/** The JSON shapes Keystone answers for its entities; `base` is `http://host:port` as the client sees it. */

export function domainView(row: IdentityDomainRow, base: string) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    enabled: toBool(row.enabled),
    tags: [],
    options: {},
    links: { self: `${base}/v3/domains/${row.id}` },
  };
}

export function projectView(row: IdentityProjectRow, base: string) {
  return {
    id: row.id,
    name: row.name,
    domain_id: row.domain_id,
    description: row.description,
    enabled: toBool(row.enabled),
    // A top-level project's parent is its domain (Keystone models domains as projects).
    parent_id: row.domain_id,
    is_domain: false,
    tags: [],
    options: {},
    links: { self: `${base}/v3/projects/${row.id}` },
  };
}

/** A user as Keystone shows one: never the password; optional fields only when set. */
export function userView(row: IdentityUserRow, base: string) {
  const view: Record<string, unknown> = {
    id: row.id,
    name: row.name,
    domain_id: row.domain_id,
    enabled: toBool(row.enabled),
    password_expires_at: null,
    options: {},
    links: { self: `${base}/v3/users/${row.id}` },
  };
  if (row.default_project_id !== null) view.default_project_id = row.default_project_id;
  if (row.description !== null) view.description = row.description;
  if (row.email !== null) view.email = row.email;
  return view;
}

export function roleView(row: Pick<IdentityRoleRow, 'id' | 'name' | 'description'>, base: string) {
  return {
    id: row.id,
    name: row.name,
    domain_id: null,
    description: row.description,
    options: {},
    links: { self: `${base}/v3/roles/${row.id}` },
  };
}
