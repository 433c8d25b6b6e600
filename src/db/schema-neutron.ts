/** Row types of the Neutron-subset tables (migration 0005-neutron). */

type DbBool = boolean | number;

export interface RouterRow {
  id: string;
  project_id: string | null;
  name: string;
  description: string;
  admin_state_up: DbBool;
  status: string;
  /** The external network of the router's gateway, or null without one. */
  gateway_network_id: string | null;
  enable_snat: DbBool;
  revision_number: number;
  created_at: string;
  updated_at: string | null;
}

export interface FloatingIpRow {
  id: string;
  project_id: string | null;
  description: string;
  floating_network_id: string;
  /** The `network:floatingip` port holding the address on the external network. */
  floating_port_id: string;
  floating_ip_address: string;
  /** The associated port, or null. */
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  /** ACTIVE while associated, DOWN otherwise. */
  status: string;
  revision_number: number;
  created_at: string;
  updated_at: string | null;
}

export interface SecurityGroupRow {
  id: string;
  project_id: string | null;
  name: string;
  description: string;
  stateful: DbBool;
  revision_number: number;
  created_at: string;
  updated_at: string | null;
}

export interface SecurityGroupRuleRow {
  id: string;
  security_group_id: string;
  project_id: string | null;
  /** `ingress` or `egress`. */
  direction: string;
  /** `IPv4` or `IPv6`. */
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string | null;
}

export interface PortSecurityGroupRow {
  port_id: string;
  security_group_id: string;
}

export interface DefaultSecurityGroupRow {
  project_id: string;
  security_group_id: string;
}

export interface NeutronTables {
  router: RouterRow;
  floating_ip: FloatingIpRow;
  security_group: SecurityGroupRow;
  security_group_rule: SecurityGroupRuleRow;
  port_security_group: PortSecurityGroupRow;
  default_security_group: DefaultSecurityGroupRow;
}
