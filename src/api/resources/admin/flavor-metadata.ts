import { AVAILABILITY_ZONE_CAPABILITIES, FLAVOR_CAPABILITIES } from '../../../common/constants.js';
import { ApiError, badRequest } from '../../../common/errors.js';
import { pyRepr } from '../../validation/py-repr.js';
import { assertProviderEnabled } from './providers.js';

/**
 * The provider check of a flavor profile's `flavor_data` or an availability zone profile's
 * `availability_zone_data`: a JSON object whose keys are the provider's capabilities, with values of the
 * right type. Octavia's amphora driver checks it with a JSON schema and answers 501 with the schema's
 * message, which is what clients see; this reproduces those messages.
 */

type ValueRule = { type: 'string'; oneOf?: readonly string[] } | { type: 'array' };

export interface MetadataKind {
  /** The body attribute, as named in "X is not a valid option for <option>". */
  option: 'flavor_data' | 'availability_zone_data';
  keys: readonly string[];
  rules: Record<string, ValueRule>;
}

export const FLAVOR_METADATA: MetadataKind = {
  option: 'flavor_data',
  keys: FLAVOR_CAPABILITIES.map((c) => c.name),
  rules: {
    loadbalancer_topology: { type: 'string', oneOf: ['SINGLE', 'ACTIVE_STANDBY'] },
    compute_flavor: { type: 'string' },
    amp_image_tag: { type: 'string' },
  },
};

export const AVAILABILITY_ZONE_METADATA: MetadataKind = {
  option: 'availability_zone_data',
  keys: AVAILABILITY_ZONE_CAPABILITIES.map((c) => c.name),
  rules: {
    compute_zone: { type: 'string' },
    management_network: { type: 'string' },
    valid_vip_networks: { type: 'array' },
  },
};

function unsupported(provider: string, message: string): ApiError {
  return new ApiError(501, `Provider '${provider}' does not support a requested option: ${message}`);
}

/** Why `value` breaks `rule` (jsonschema's wording), or undefined when it does not. */
function ruleError(value: unknown, rule: ValueRule): string | undefined {
  if (rule.type === 'array') return Array.isArray(value) ? undefined : `${pyRepr(value)} is not of type 'array'`;
  if (typeof value !== 'string') return `${pyRepr(value)} is not of type 'string'`;
  if (rule.oneOf && !rule.oneOf.includes(value)) return `${pyRepr(value)} is not one of ${pyRepr(rule.oneOf)}`;
  return undefined;
}

/** Check profile data text for `provider`: 400 when it is not JSON or the provider is not enabled, 501 when unsupported. */
export function validateMetadata(kind: MetadataKind, provider: string, text: string): void {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw badRequest(`${text} is not a valid option for ${kind.option}`);
  }
  assertProviderEnabled(provider);
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw unsupported(provider, `${pyRepr(data)} is not of type 'object'`);
  const entries = Object.entries(data as Record<string, unknown>);
  const extra = entries.map(([k]) => k).filter((k) => !kind.keys.includes(k));
  if (extra.length > 0)
    throw unsupported(
      provider,
      `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
    );
  for (const [key, value] of entries) {
    const rule = kind.rules[key];
    const error = rule && ruleError(value, rule);
    if (error) throw unsupported(provider, `${key} ${error}`);
  }
}
