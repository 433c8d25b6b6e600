/** Attribute names, in the order Octavia 11 answers with them, shared by the shape tests. */

/** A member (09_member_create.json). */
export const MEMBER_KEYS = [
  'id',
  'name',
  'operating_status',
  'provisioning_status',
  'admin_state_up',
  'address',
  'protocol_port',
  'weight',
  'backup',
  'subnet_id',
  'project_id',
  'created_at',
  'updated_at',
  'monitor_address',
  'monitor_port',
  'tags',
  'tenant_id',
];

/** An L7 rule (Octavia's L7RuleResponse order). */
export const L7RULE_KEYS = [
  'id',
  'type',
  'compare_type',
  'key',
  'value',
  'invert',
  'provisioning_status',
  'operating_status',
  'created_at',
  'updated_at',
  'project_id',
  'admin_state_up',
  'tags',
  'tenant_id',
];

/** A health monitor embedded in a graph create response (no `pools` back reference). */
export const EMBEDDED_HM_KEYS = [
  'id',
  'name',
  'type',
  'delay',
  'timeout',
  'max_retries',
  'max_retries_down',
  'http_method',
  'url_path',
  'expected_codes',
  'admin_state_up',
  'project_id',
  'provisioning_status',
  'operating_status',
  'created_at',
  'updated_at',
  'tags',
  'http_version',
  'domain_name',
  'tenant_id',
];
