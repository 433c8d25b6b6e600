import type { CatalogEntry } from './catalog.js';
import { keystoneTime } from './keystone-format.js';
import type { ResolvedToken } from './resolved-token.js';

/** The `{"token": {...}}` body Keystone answers for an issued or validated token. */
export function tokenBody(resolved: ResolvedToken, catalog: CatalogEntry[] | undefined): { token: object } {
  const { token, user, userDomain, project, projectDomain } = resolved;
  const auditIds = token.parent_audit_id ? [token.audit_id, token.parent_audit_id] : [token.audit_id];
  const body: Record<string, unknown> = {
    methods: JSON.parse(token.methods) as string[],
    user: {
      id: user.id,
      name: user.name,
      domain: { id: userDomain.id, name: userDomain.name },
      password_expires_at: null,
    },
    audit_ids: auditIds,
    expires_at: keystoneTime(token.expires_at),
    issued_at: keystoneTime(token.issued_at),
  };
  if (project && projectDomain) {
    body.project = { id: project.id, name: project.name, domain: { id: projectDomain.id, name: projectDomain.name } };
    body.is_domain = false;
    body.roles = resolved.roles.map((r) => ({ id: r.id, name: r.name }));
    if (catalog) body.catalog = catalog;
  }
  return { token: body };
}
