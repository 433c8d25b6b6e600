import { AVAILABILITY_ZONE, AVAILABILITY_ZONE_PROFILE, FLAVOR, FLAVOR_PROFILE } from '../resources.js';
import type { ResourceSpec } from './crud.js';
import { listEnableDisable, ref, str, toggle } from './fields.js';

/** Flavors, flavor profiles, availability zones and their profiles: admin objects without provisioning status. */

const enabled = (noun: string) => toggle('--enable', '--disable', 'enabled', `Enable ${noun}.`, `Disable ${noun}.`);

export const flavorSpec: ResourceSpec = {
  kind: FLAVOR,
  noun: 'flavor',
  arg: 'flavor',
  rows: ['id', 'name', 'flavor_profile_id', 'enabled', 'description'],
  columns: ['id', 'name', 'flavor_profile_id', 'enabled'],
  formatters: {},
  tags: false,
  waits: false,
  create: {
    options: [
      str('--name <name>', 'name', 'New flavor name.', { required: true }),
      ref(
        '--flavorprofile <flavor_profile>',
        'flavor_profile_id',
        FLAVOR_PROFILE,
        'Flavor profile to add the flavor to (name or ID).',
        { required: true },
      ),
      str('--description <description>', 'description', 'Set flavor description.'),
      ...enabled('flavor'),
    ],
  },
  list: {
    options: [
      str('--name <name>', 'name', 'List flavors according to their name.'),
      ref(
        '--flavorprofile <flavor_profile>',
        'flavor_profile_id',
        FLAVOR_PROFILE,
        'List flavors according to their flavor profile.',
      ),
      ...listEnableDisable('flavors', 'enabled'),
    ],
  },
  set: {
    options: [
      str('--name <name>', 'name', 'Set the name of the flavor.'),
      str('--description <description>', 'description', 'Set the description of the flavor.'),
      ...enabled('flavor'),
    ],
  },
  unset: { flags: [['--description', 'description', 'Clear the flavor description.']] },
  delete: {},
};

export const flavorProfileSpec: ResourceSpec = {
  kind: FLAVOR_PROFILE,
  noun: 'flavor profile',
  arg: 'flavor_profile',
  rows: ['id', 'name', 'provider_name', 'flavor_data'],
  columns: ['id', 'name', 'provider_name'],
  formatters: {},
  tags: false,
  waits: false,
  create: {
    options: [
      str('--name <name>', 'name', 'New octavia flavor profile name.', { required: true }),
      str('--provider <provider name>', 'provider_name', 'Provider name for the flavor profile.', { required: true }),
      str('--flavor-data <flavor_data>', 'flavor_data', 'The JSON string containing the flavor metadata.', {
        required: true,
      }),
    ],
  },
  list: {
    options: [
      str('--name <name>', 'name', 'List flavor profiles by flavor profile name.'),
      str('--provider <provider_name>', 'provider_name', 'List flavor profiles according to their provider.'),
    ],
  },
  set: {
    options: [
      str('--name <name>', 'name', 'Set the name of the flavor profile.'),
      str('--provider <provider_name>', 'provider_name', 'Set the provider of the flavor profile.'),
      str('--flavor-data <flavor_data>', 'flavor_data', 'Set the flavor data of the flavor profile.'),
    ],
  },
  delete: {},
};

export const availabilityZoneSpec: ResourceSpec = {
  kind: AVAILABILITY_ZONE,
  noun: 'availability zone',
  arg: 'availabilityzone',
  rows: ['name', 'availability_zone_profile_id', 'enabled', 'description'],
  columns: ['name', 'availability_zone_profile_id', 'enabled'],
  formatters: {},
  tags: false,
  waits: false,
  create: {
    options: [
      str('--name <name>', 'name', 'New availability zone name.', { required: true }),
      ref(
        '--availabilityzoneprofile <availabilityzone_profile>',
        'availability_zone_profile_id',
        AVAILABILITY_ZONE_PROFILE,
        'Availability zone profile to add the AZ to (name or ID).',
        { required: true },
      ),
      str('--description <description>', 'description', 'Set the availability zone description.'),
      ...enabled('availability zone'),
    ],
  },
  list: {
    options: [
      str('--name <name>', 'name', 'List availability zones according to their name.'),
      ref(
        '--availabilityzoneprofile <availabilityzone_profile>',
        'availability_zone_profile_id',
        AVAILABILITY_ZONE_PROFILE,
        'List availability zones according to their AZ profile.',
      ),
      ...listEnableDisable('availability zones', 'enabled'),
    ],
  },
  set: {
    options: [
      str('--description <description>', 'description', 'Set the description of the availability zone.'),
      ...enabled('availability zone'),
    ],
  },
  unset: { flags: [['--description', 'description', 'Clear the availability zone description.']] },
  delete: {},
};

export const availabilityZoneProfileSpec: ResourceSpec = {
  kind: AVAILABILITY_ZONE_PROFILE,
  noun: 'availability zone profile',
  arg: 'availabilityzone_profile',
  rows: ['id', 'name', 'provider_name', 'availability_zone_data'],
  columns: ['id', 'name', 'provider_name'],
  formatters: {},
  tags: false,
  waits: false,
  create: {
    options: [
      str('--name <name>', 'name', 'New octavia availability zone profile name.', { required: true }),
      str('--provider <provider name>', 'provider_name', 'Provider name for the availability zone profile.', {
        required: true,
      }),
      str(
        '--availability-zone-data <availability_zone_data>',
        'availability_zone_data',
        'The JSON string containing the availability zone metadata.',
        {
          required: true,
        },
      ),
    ],
  },
  list: {
    options: [
      str('--name <name>', 'name', 'List availability zone profiles by profile name.'),
      str(
        '--provider <provider_name>',
        'provider_name',
        'List availability zone profiles according to their provider.',
      ),
    ],
  },
  set: {
    options: [
      str('--name <name>', 'name', 'Set the name of the availability zone profile.'),
      str('--provider <provider_name>', 'provider_name', 'Set the provider of the availability zone profile.'),
      str(
        '--availability-zone-data <availability_zone_data>',
        'availability_zone_data',
        'Set the availability zone data of the profile.',
      ),
    ],
  },
  delete: {},
};
