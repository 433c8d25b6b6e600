import type { Kysely } from 'kysely';

/** Identity: domains, projects, users, roles, role assignments, tokens (filled in by the identity service). */
export async function up(_db: Kysely<unknown>): Promise<void> {}

export async function down(_db: Kysely<unknown>): Promise<void> {}
