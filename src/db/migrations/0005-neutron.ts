import type { Kysely } from 'kysely';

/**
 * The Neutron subset beyond networks, subnets and ports: routers (their gateway and interfaces are ports,
 * as in Neutron), floating IPs, security groups with their rules, and the columns the API shows on the
 * tables of 0002 (description, revision_number, port_security_enabled of a port).
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['network', 'subnet', 'port']) {
    await db.schema
      .alterTable(table)
      .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema
      .alterTable(table)
      .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  }
  await db.schema
    .alterTable('port')
    .addColumn('port_security_enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();

  await db.schema
    .createTable('router')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'varchar(255)', (c) => c.notNull())
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    // The external network of the gateway; its port is the router's `network:router_gateway` port.
    .addColumn('gateway_network_id', 'varchar(36)', (c) => c.references('network.id'))
    .addColumn('enable_snat', 'boolean', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(19)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(19)')
    .execute();

  await db.schema
    .createTable('floating_ip')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)')
    .addColumn('description', 'varchar(255)', (c) => c.notNull())
    .addColumn('floating_network_id', 'varchar(36)', (c) => c.notNull().references('network.id'))
    // The `network:floatingip` port that holds the address on the external subnet.
    .addColumn('floating_port_id', 'varchar(36)', (c) => c.notNull().references('port.id'))
    .addColumn('floating_ip_address', 'varchar(64)', (c) => c.notNull())
    // No foreign key: deleting a port disassociates its floating IPs (ports.ts), as Neutron does.
    .addColumn('port_id', 'varchar(36)')
    .addColumn('fixed_ip_address', 'varchar(64)')
    .addColumn('router_id', 'varchar(36)')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(19)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(19)')
    // One floating IP per fixed IP and external network, even when two requests race (NULLs never clash).
    .addUniqueConstraint('floating_ip_fixed', ['floating_network_id', 'port_id', 'fixed_ip_address'])
    .execute();
  await db.schema.createIndex('floating_ip_port').on('floating_ip').columns(['port_id']).execute();

  await db.schema
    .createTable('security_group')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'varchar(255)', (c) => c.notNull())
    .addColumn('stateful', 'boolean', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(19)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(19)')
    .execute();
  await db.schema.createIndex('security_group_name').on('security_group').columns(['name']).execute();

  await db.schema
    .createTable('security_group_rule')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('security_group_id', 'varchar(36)', (c) =>
      c.notNull().references('security_group.id').onDelete('cascade'),
    )
    .addColumn('project_id', 'varchar(255)')
    .addColumn('direction', 'varchar(16)', (c) => c.notNull())
    .addColumn('ethertype', 'varchar(8)', (c) => c.notNull())
    .addColumn('protocol', 'varchar(40)')
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', 'varchar(64)')
    .addColumn('remote_group_id', 'varchar(36)')
    .addColumn('description', 'varchar(255)', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(19)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(19)')
    .execute();
  await db.schema
    .createIndex('security_group_rule_group')
    .on('security_group_rule')
    .columns(['security_group_id'])
    .execute();

  await db.schema
    .createTable('port_security_group')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('port.id').onDelete('cascade'))
    .addColumn('security_group_id', 'varchar(36)', (c) =>
      c.notNull().references('security_group.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('port_security_group_pk', ['port_id', 'security_group_id'])
    .execute();
  await db.schema
    .createIndex('port_security_group_group')
    .on('port_security_group')
    .columns(['security_group_id'])
    .execute();

  // Which group is a project's `default`: the primary key makes its on-demand creation race-free.
  await db.schema
    .createTable('default_security_group')
    .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'default_security_group',
    'port_security_group',
    'security_group_rule',
    'security_group',
    'floating_ip',
    'router',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.alterTable('port').dropColumn('port_security_enabled').execute();
  for (const table of ['network', 'subnet', 'port']) {
    await db.schema.alterTable(table).dropColumn('revision_number').execute();
    await db.schema.alterTable(table).dropColumn('description').execute();
  }
}
