import { AVAILABILITY_ZONE_METADATA } from './flavor-metadata.js';
import { profileSerializer, type ProfileSpec } from './flavor-profiles.js';

/** Availability zone profiles: `/v2/lbaas/availabilityzoneprofiles`, in use while a zone refers to them. */
export const AVAILABILITY_ZONE_PROFILES: ProfileSpec = {
  def: {
    table: 'availability_zone_profile',
    singular: 'availability_zone_profile',
    plural: 'availability_zone_profiles',
    label: 'Availability Zone Profile',
    list: {
      columns: {
        id: 'id',
        name: 'name',
        provider_name: 'provider_name',
        availability_zone_data: 'availability_zone_data',
      },
    },
    serialize: profileSerializer('availability_zone_data'),
  },
  path: '/v2/lbaas/availabilityzoneprofiles',
  linksKey: 'availability_zone_profile_links',
  argName: 'availability_zone_profile_',
  metadata: AVAILABILITY_ZONE_METADATA,
  async inUse(services, id) {
    const zone = await services.db.kysely
      .selectFrom('availability_zone')
      .select('name')
      .where('availability_zone_profile_id', '=', id)
      .executeTakeFirst();
    return !!zone;
  },
};
