import type { DbBool } from './schema.js';

/** Row types of the identity tables (migration 0004-identity). */

export interface IdentityDomainRow {
  id: string;
  name: string;
  description: string;
  enabled: DbBool;
  created_at: string;
}

export interface IdentityProjectRow {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: DbBool;
  created_at: string;
}

export interface IdentityUserRow {
  id: string;
  name: string;
  domain_id: string;
  /** `scrypt$N$r$p$salt$hash` (see password-hash.ts); NULL: the user cannot authenticate with a password. */
  password_hash: string | null;
  enabled: DbBool;
  default_project_id: string | null;
  description: string | null;
  email: string | null;
  created_at: string;
}

export interface IdentityRoleRow {
  id: string;
  name: string;
  description: string | null;
  created_at: string;
}

export interface IdentityRoleAssignmentRow {
  user_id: string;
  project_id: string;
  role_id: string;
}

export interface IdentityTokenRow {
  /** Hex SHA-256 of the token: the token itself is never stored. */
  token_hash: string;
  user_id: string;
  project_id: string | null;
  /** JSON array of the authentication methods, e.g. ["password"]. */
  methods: string;
  audit_id: string;
  /** Audit id of the token this one was rescoped from (Keystone's audit chain). */
  parent_audit_id: string | null;
  /** Epoch milliseconds. */
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface IdentityTables {
  identity_domain: IdentityDomainRow;
  identity_project: IdentityProjectRow;
  identity_user: IdentityUserRow;
  identity_role: IdentityRoleRow;
  identity_role_assignment: IdentityRoleAssignmentRow;
  identity_token: IdentityTokenRow;
}
