import type { Kysely } from 'kysely';

/**
 * Identity: domains, projects, users, roles, role assignments (user on project) and issued tokens.
 * Names are unique per domain (roles: globally), as Keystone's. Assignments and tokens go with their
 * user or project, so deleting either revokes its tokens in every process sharing the database.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('identity_domain')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('identity_project')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('domain_id', 'varchar(64)', (c) => c.notNull().references('identity_domain.id'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('identity_project_domain_name', ['domain_id', 'name'])
    .execute();

  await db.schema
    .createTable('identity_user')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('domain_id', 'varchar(64)', (c) => c.notNull().references('identity_domain.id'))
    .addColumn('password_hash', 'text')
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    // Not a foreign key: Keystone keeps the value when the project goes.
    .addColumn('default_project_id', 'varchar(64)')
    .addColumn('description', 'text')
    .addColumn('email', 'varchar(255)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('identity_user_domain_name', ['domain_id', 'name'])
    .execute();

  await db.schema
    .createTable('identity_role')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('identity_role_assignment')
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('identity_user.id').onDelete('cascade'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull().references('identity_project.id').onDelete('cascade'))
    .addColumn('role_id', 'varchar(64)', (c) => c.notNull().references('identity_role.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('identity_role_assignment_pk', ['user_id', 'project_id', 'role_id'])
    .execute();
  await db.schema
    .createIndex('identity_role_assignment_project')
    .on('identity_role_assignment')
    .columns(['project_id'])
    .execute();

  await db.schema
    .createTable('identity_token')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('identity_user.id').onDelete('cascade'))
    .addColumn('project_id', 'varchar(64)', (c) => c.references('identity_project.id').onDelete('cascade'))
    .addColumn('methods', 'text', (c) => c.notNull())
    .addColumn('audit_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('parent_audit_id', 'varchar(64)')
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('identity_token_user').on('identity_token').columns(['user_id']).execute();
  await db.schema.createIndex('identity_token_project').on('identity_token').columns(['project_id']).execute();
  await db.schema.createIndex('identity_token_expires').on('identity_token').columns(['expires_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'identity_token',
    'identity_role_assignment',
    'identity_role',
    'identity_user',
    'identity_project',
    'identity_domain',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
