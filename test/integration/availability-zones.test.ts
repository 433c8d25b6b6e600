import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestService } from '../helpers/service.js';

const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });
const MISSING = '00000000-0000-0000-0000-000000000000';

describe('availability zones and their profiles', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start();
  });
  after(() => svc.stop());

  const createProfile = async (name: string, data = '{"compute_zone": "nova"}') => {
    const res = await svc.post('/v2/lbaas/availabilityzoneprofiles', {
      availability_zone_profile: { name, provider_name: 'amphora', availability_zone_data: data },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.availability_zone_profile;
  };
  const createZone = async (name: string, profileId: string, extra: Record<string, unknown> = {}) => {
    const res = await svc.post('/v2/lbaas/availabilityzones', {
      availability_zone: { name, availability_zone_profile_id: profileId, ...extra },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.availability_zone;
  };

  it('lists nothing at first (28_az_list)', async () => {
    assert.deepEqual((await svc.get('/v2/lbaas/availabilityzones')).body, {
      availability_zones: [],
      availability_zones_links: [],
    });
    assert.deepEqual((await svc.get('/v2/availabilityzoneprofiles')).body, {
      availability_zone_profiles: [],
      availability_zone_profile_links: [],
    });
  });

  it('creates, shows, updates and deletes an availability zone profile', async () => {
    const azp = await createProfile('azp-1', '{"compute_zone": "az1", "valid_vip_networks": ["n1"]}');
    assert.deepEqual(Object.keys(azp), ['id', 'name', 'provider_name', 'availability_zone_data']);
    assert.deepEqual(azp, {
      id: azp.id,
      name: 'azp-1',
      provider_name: 'amphora',
      availability_zone_data: '{"compute_zone": "az1", "valid_vip_networks": ["n1"]}',
    });
    assert.deepEqual((await svc.get(`/v2/lbaas/availabilityzoneprofiles/${azp.id}`)).body, {
      availability_zone_profile: azp,
    });
    const put = await svc.put(`/v2/lbaas/availabilityzoneprofiles/${azp.id}`, {
      availability_zone_profile: { availability_zone_data: '{"management_network": "mgmt"}' },
    });
    assert.equal(put.status, 200);
    assert.equal(put.body.availability_zone_profile.availability_zone_data, '{"management_network": "mgmt"}');
    assert.equal((await svc.del(`/v2/lbaas/availabilityzoneprofiles/${azp.id}`)).status, 204);
    const gone = await svc.get(`/v2/lbaas/availabilityzoneprofiles/${azp.id}`);
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, fault(`Availability Zone Profile ${azp.id} not found.`));
  });

  it('validates availability_zone_data against the provider', async () => {
    const post = (availability_zone_profile: Record<string, unknown>) =>
      svc.post('/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile });
    const base = { name: 'bad', provider_name: 'amphora' };
    const notJson = await post({ ...base, availability_zone_data: 'nope' });
    assert.equal(notJson.status, 400);
    assert.deepEqual(notJson.body, fault('nope is not a valid option for availability_zone_data'));
    const provider = await post({ ...base, provider_name: 'noop_driver', availability_zone_data: '{}' });
    assert.deepEqual(provider.body, fault("Provider 'noop_driver' is not enabled."));
    const unknownKey = await post({ ...base, availability_zone_data: '{"loadbalancer_topology": "SINGLE"}' });
    assert.equal(unknownKey.status, 501);
    assert.equal(
      unknownKey.body.faultstring,
      "Provider 'amphora' does not support a requested option: Additional properties are not allowed ('loadbalancer_topology' was unexpected)",
    );
    const notArray = await post({ ...base, availability_zone_data: '{"valid_vip_networks": "n1"}' });
    assert.equal(notArray.status, 501);
    assert.equal(
      notArray.body.faultstring,
      "Provider 'amphora' does not support a requested option: valid_vip_networks 'n1' is not of type 'array'",
    );
    const unknownAttr = await post({ ...base, availability_zone_data: '{}', tags: [] });
    assert.deepEqual(
      unknownAttr.body,
      fault('Unknown attribute for argument availability_zone_profile_.availability_zone_profile: tags'),
    );
  });

  it('creates an availability zone keyed by its name', async () => {
    const azp = await createProfile('azp-zone');
    const res = await svc.post('/v2/lbaas/availabilityzones', {
      availability_zone: { name: 'zone-a', availability_zone_profile_id: azp.id },
    });
    assert.equal(res.status, 201);
    const zone = res.body.availability_zone;
    assert.deepEqual(Object.keys(zone), ['name', 'description', 'enabled', 'availability_zone_profile_id']);
    assert.deepEqual(zone, { name: 'zone-a', description: '', enabled: true, availability_zone_profile_id: azp.id });
    assert.deepEqual((await svc.get('/v2/lbaas/availabilityzones/zone-a')).body, { availability_zone: zone });
    const fields = await svc.get('/v2/lbaas/availabilityzones/zone-a?fields=enabled');
    assert.deepEqual(fields.body, { availability_zone: { enabled: true } });

    const dup = await svc.post('/v2/lbaas/availabilityzones', {
      availability_zone: { name: 'zone-a', availability_zone_profile_id: azp.id },
    });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.body, fault('A availability zone of zone-a already exists.'));
    const noProfile = await svc.post('/v2/lbaas/availabilityzones', {
      availability_zone: { name: 'zone-x', availability_zone_profile_id: MISSING },
    });
    assert.equal(noProfile.status, 400);
    assert.deepEqual(noProfile.body, fault(`${MISSING} is not a valid option for availability_zone_profile_id`));
    const noName = await svc.post('/v2/lbaas/availabilityzones', {
      availability_zone: { availability_zone_profile_id: azp.id },
    });
    assert.deepEqual(
      noName.body,
      fault("Invalid input for field/attribute name. Value: 'None'. Mandatory field missing."),
    );
    const missing = await svc.get('/v2/lbaas/availabilityzones/nowhere');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, fault('Availability Zone nowhere not found.'));
  });

  it('updates description and enabled only', async () => {
    const azp = await createProfile('azp-update');
    await createZone('zone-u', azp.id, { description: 'first' });
    const put = await svc.put('/v2/lbaas/availabilityzones/zone-u', {
      availability_zone: { description: 'second', enabled: false },
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, {
      availability_zone: {
        name: 'zone-u',
        description: 'second',
        enabled: false,
        availability_zone_profile_id: azp.id,
      },
    });
    const rename = await svc.put('/v2/lbaas/availabilityzones/zone-u', { availability_zone: { name: 'other' } });
    assert.equal(rename.status, 400);
    assert.deepEqual(rename.body, fault('Unknown attribute for argument availability_zone_.availability_zone: name'));
    const missing = await svc.put('/v2/lbaas/availabilityzones/nowhere', { availability_zone: { enabled: true } });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, fault('Availability Zone nowhere not found.'));
  });

  it('lists zones sorted and paged by name, with filters and fields', async () => {
    const azp = await createProfile('azp-list');
    for (const name of ['list-c', 'list-a', 'list-b']) await createZone(name, azp.id);
    const all = await svc.get(`/v2/lbaas/availabilityzones?availability_zone_profile_id=${azp.id}&fields=name`);
    assert.deepEqual(all.body, {
      availability_zones: [{ name: 'list-a' }, { name: 'list-b' }, { name: 'list-c' }],
      availability_zones_links: [],
    });
    const page = await svc.get(`/v2/lbaas/availabilityzones?availability_zone_profile_id=${azp.id}&limit=2`);
    assert.deepEqual(
      page.body.availability_zones.map((z: { name: string }) => z.name),
      ['list-a', 'list-b'],
    );
    assert.equal(page.body.availability_zones_links[0].rel, 'next');
    assert.match(page.body.availability_zones_links[0].href, /marker=list-b/);
    const rest = await svc.get(
      `/v2/lbaas/availabilityzones?availability_zone_profile_id=${azp.id}&limit=2&marker=list-b`,
    );
    assert.deepEqual(
      rest.body.availability_zones.map((z: { name: string }) => z.name),
      ['list-c'],
    );
    const desc = await svc.get(
      `/v2/lbaas/availabilityzones?availability_zone_profile_id=${azp.id}&sort=name:desc&fields=name`,
    );
    assert.deepEqual(desc.body.availability_zones, [{ name: 'list-c' }, { name: 'list-b' }, { name: 'list-a' }]);
    const badMarker = await svc.get('/v2/lbaas/availabilityzones?marker=nowhere');
    assert.equal(badMarker.status, 400);
    assert.deepEqual(
      badMarker.body,
      fault("Invalid input for field/attribute marker. Value: 'nowhere'. The marker is not valid"),
    );
  });

  it('keeps a zone and its profile while in use, and frees them after', async () => {
    const azp = await createProfile('azp-in-use');
    await createZone('zone-used', azp.id);
    const changeData = await svc.put(`/v2/lbaas/availabilityzoneprofiles/${azp.id}`, {
      availability_zone_profile: { availability_zone_data: '{}' },
    });
    assert.equal(changeData.status, 409);
    assert.deepEqual(changeData.body, fault(`Availability Zone Profile ${azp.id} is in use and cannot be modified.`));
    const delProfile = await svc.del(`/v2/lbaas/availabilityzoneprofiles/${azp.id}`);
    assert.equal(delProfile.status, 409);

    const lb = await svc.createLoadBalancer({ availability_zone: 'zone-used' });
    assert.equal(lb.availability_zone, 'zone-used');
    const delZone = await svc.del('/v2/lbaas/availabilityzones/zone-used');
    assert.equal(delZone.status, 409);
    assert.deepEqual(delZone.body, fault('Availability Zone zone-used is in use and cannot be modified.'));

    assert.equal((await svc.del(`/v2/lbaas/loadbalancers/${lb.id}`)).status, 204);
    await svc.settle();
    assert.equal((await svc.del('/v2/lbaas/availabilityzones/zone-used')).status, 204);
    assert.equal((await svc.get('/v2/lbaas/availabilityzones/zone-used')).status, 404);
    assert.equal((await svc.del(`/v2/lbaas/availabilityzoneprofiles/${azp.id}`)).status, 204);
  });
});
