import type { Kysely } from 'kysely';

/** The Neutron subset beyond networks, subnets and ports: routers, floating IPs, security groups. */
export async function up(_db: Kysely<unknown>): Promise<void> {}

export async function down(_db: Kysely<unknown>): Promise<void> {}
