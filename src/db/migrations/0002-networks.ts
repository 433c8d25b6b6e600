import type { Kysely } from 'kysely';

/**
 * The stored network model VIPs are allocated from: Neutron's network, subnet, port and fixed IP, with the
 * columns Octavia reads. Routers, floating IPs and security groups (the Neutron API of issue 5) come later
 * as further tables beside these.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('network')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('shared', 'boolean', (c) => c.notNull())
    .addColumn('router_external', 'boolean', (c) => c.notNull())
    .addColumn('port_security_enabled', 'boolean', (c) => c.notNull())
    .addColumn('mtu', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(19)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(19)')
    .execute();

  await db.schema
    .createTable('subnet')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('network.id'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('gateway_ip', 'varchar(64)')
    // JSON: [{"start": "...", "end": "..."}], the ranges addresses are handed out from.
    .addColumn('allocation_pools', 'text', (c) => c.notNull())
    .addColumn('enable_dhcp', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'varchar(19)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(19)')
    .execute();
  await db.schema.createIndex('subnet_network').on('subnet').columns(['network_id']).execute();

  await db.schema
    .createTable('port')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('network.id'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    // Empty strings, not NULL, when unset (as Neutron shows them): "in use" is device_id <> ''.
    .addColumn('device_owner', 'varchar(255)', (c) => c.notNull())
    .addColumn('device_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(19)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(19)')
    .execute();
  await db.schema.createIndex('port_network').on('port').columns(['network_id']).execute();
  await db.schema.createIndex('port_device').on('port').columns(['device_id']).execute();

  await db.schema
    .createTable('port_fixed_ip')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('port.id').onDelete('cascade'))
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnet.id'))
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    // The IPv4 address as a number (NULL for IPv6), so the next free address is one indexed query.
    .addColumn('ip_number', 'bigint')
    // The one guarantee that two processes never hand out the same address: the loser's insert conflicts.
    .addUniqueConstraint('port_fixed_ip_subnet_address', ['subnet_id', 'ip_address'])
    .execute();
  await db.schema.createIndex('port_fixed_ip_port').on('port_fixed_ip').columns(['port_id']).execute();
  await db.schema
    .createIndex('port_fixed_ip_subnet_number')
    .on('port_fixed_ip')
    .columns(['subnet_id', 'ip_number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['port_fixed_ip', 'port', 'subnet', 'network']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
