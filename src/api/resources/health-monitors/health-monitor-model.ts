import { HEALTH_MONITOR_TYPES, HTTP_METHODS } from '../../../common/constants.js';
import { newId } from '../../../common/ids.js';
import { toBool, type HealthMonitorRow, type PoolRow } from '../../../db/schema.js';
import { loadTags, type ResourceDef } from '../../resource.js';
import {
  bool,
  enumOf,
  int,
  required,
  str,
  uuid,
  type Clean,
  type Field,
  type FieldMap,
} from '../../validation/fields.js';
import { HM_DEFAULTS, HTTP_MONITOR_TYPES } from './health-monitor-rules.js';
import { tagsField } from '../tags.js';

/** The health monitor resource: its fields, its response shape and the row of a new one. */

/** Seconds; Octavia sets no upper bound, the integer column does. */
const seconds = () => int(0, 2147483647);
const retries = () => int(1, 10);
/** Checked for its pattern by `checkHmPatterns`. */
const httpVersion = (): Field => ({ type: { kind: 'raw' } });
const domainName = (): Field => ({ type: { kind: 'string', min: 1, max: 255 } });

/** Body of POST /healthmonitors. */
export const HM_POST_FIELDS: FieldMap = {
  name: str(),
  type: required(enumOf(HEALTH_MONITOR_TYPES)),
  delay: required(seconds()),
  timeout: required(seconds()),
  max_retries_down: retries(),
  max_retries: required(retries()),
  http_method: enumOf(HTTP_METHODS),
  url_path: str(2048),
  expected_codes: str(2048),
  admin_state_up: bool(),
  project_id: str(36),
  tenant_id: str(36),
  pool_id: required(uuid()),
  tags: tagsField(),
  http_version: httpVersion(),
  domain_name: domainName(),
};

/** Body of PUT /healthmonitors/{id}: the type and the pool are fixed at creation. */
export const HM_PUT_FIELDS: FieldMap = {
  name: str(),
  delay: seconds(),
  timeout: seconds(),
  max_retries_down: retries(),
  max_retries: retries(),
  http_method: enumOf(HTTP_METHODS),
  url_path: str(2048),
  expected_codes: str(2048),
  admin_state_up: bool(),
  tags: tagsField(),
  http_version: httpVersion(),
  domain_name: domainName(),
};

export const healthMonitorDef: ResourceDef<'health_monitor'> = {
  table: 'health_monitor',
  singular: 'healthmonitor',
  plural: 'healthmonitors',
  label: 'Health Monitor',
  list: {
    columns: Object.fromEntries(
      [
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
        'domain_name',
        'pool_id',
      ].map((c) => [c, c]),
    ),
    kinds: { admin_state_up: 'bool', delay: 'int', timeout: 'int', max_retries: 'int', max_retries_down: 'int' },
    tagged: true,
  },
  async serialize(rows, services) {
    const tags = await loadTags(
      services,
      rows.map((r) => r.id),
    );
    return rows.map((r) => serializeHealthMonitor(r, tags.get(r.id) ?? []));
  },
};

/** A health monitor in the field order Octavia answers with. */
export function serializeHealthMonitor(r: HealthMonitorRow, tags: string[]): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name ?? '',
    type: r.type,
    delay: r.delay,
    timeout: r.timeout,
    max_retries: r.max_retries,
    max_retries_down: r.max_retries_down,
    http_method: r.http_method,
    url_path: r.url_path,
    expected_codes: r.expected_codes,
    admin_state_up: toBool(r.admin_state_up),
    project_id: r.project_id,
    pools: [{ id: r.pool_id }],
    provisioning_status: r.provisioning_status,
    operating_status: r.operating_status,
    created_at: r.created_at,
    updated_at: r.updated_at,
    tags,
    http_version: r.http_version === null ? null : Number(r.http_version),
    domain_name: r.domain_name,
    tenant_id: r.project_id,
  };
}

/**
 * The row of a new monitor: PENDING_CREATE / OFFLINE (the worker makes it ONLINE). HTTP settings get
 * their defaults only on HTTP and HTTPS monitors; other types keep them null.
 */
export function newHealthMonitorRow(pool: PoolRow, body: Clean, now: string): HealthMonitorRow {
  const type = body.type as string;
  const isHttp = HTTP_MONITOR_TYPES.includes(type);
  const httpField = (name: 'http_method' | 'url_path' | 'expected_codes') =>
    isHttp ? (body[name] as string | null | undefined) || HM_DEFAULTS[name] : null;
  return {
    id: newId(),
    project_id: pool.project_id,
    pool_id: pool.id,
    name: (body.name as string | null | undefined) ?? null,
    provisioning_status: 'PENDING_CREATE',
    operating_status: 'OFFLINE',
    admin_state_up: (body.admin_state_up as boolean | null | undefined) ?? true,
    type,
    delay: body.delay as number,
    timeout: body.timeout as number,
    max_retries: body.max_retries as number,
    max_retries_down: (body.max_retries_down as number | null | undefined) ?? HM_DEFAULTS.max_retries_down,
    http_method: httpField('http_method'),
    url_path: httpField('url_path'),
    expected_codes: httpField('expected_codes'),
    http_version: (body.http_version as number | null | undefined) ?? null,
    domain_name: (body.domain_name as string | null | undefined) ?? null,
    created_at: now,
    updated_at: null,
  };
}
