/** Row types of the identity tables (migration 0004-identity). */
export interface IdentityTables {}
