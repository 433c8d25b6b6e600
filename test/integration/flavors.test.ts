import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestService } from '../helpers/service.js';

const fault = (faultstring: string) => ({ faultcode: 'Client', faultstring, debuginfo: null });
const MISSING = '00000000-0000-0000-0000-000000000000';

describe('flavors and flavor profiles', () => {
  let svc: TestService;
  before(async () => {
    svc = await TestService.start();
  });
  after(() => svc.stop());

  const createProfile = async (name: string, flavorData = '{"loadbalancer_topology": "SINGLE"}') => {
    const res = await svc.post('/v2/lbaas/flavorprofiles', {
      flavorprofile: { name, provider_name: 'amphora', flavor_data: flavorData },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.flavorprofile;
  };
  const createFlavor = async (name: string, profileId: string, extra: Record<string, unknown> = {}) => {
    const res = await svc.post('/v2/lbaas/flavors', { flavor: { name, flavor_profile_id: profileId, ...extra } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.flavor;
  };

  it('lists nothing at first, with the quirky profile links key (27_flavors_list)', async () => {
    assert.deepEqual((await svc.get('/v2/lbaas/flavors')).body, { flavors: [], flavors_links: [] });
    assert.deepEqual((await svc.get('/v2/flavorprofiles')).body, { flavorprofiles: [], flavorprofile_links: [] });
  });

  it('creates, shows, lists and updates a flavor profile', async () => {
    const res = await svc.post('/v2/lbaas/flavorprofiles', {
      flavorprofile: {
        name: 'fp-single',
        provider_name: 'amphora',
        flavor_data: '{"loadbalancer_topology": "SINGLE", "compute_flavor": "m1.amp"}',
      },
    });
    assert.equal(res.status, 201);
    const fp = res.body.flavorprofile;
    assert.deepEqual(Object.keys(fp), ['id', 'name', 'provider_name', 'flavor_data']);
    assert.match(fp.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(fp, {
      id: fp.id,
      name: 'fp-single',
      provider_name: 'amphora',
      flavor_data: '{"loadbalancer_topology": "SINGLE", "compute_flavor": "m1.amp"}',
    });
    assert.deepEqual((await svc.get(`/v2/lbaas/flavorprofiles/${fp.id}`)).body, { flavorprofile: fp });
    const fields = await svc.get(`/v2/lbaas/flavorprofiles/${fp.id}?fields=name&fields=provider_name`);
    assert.deepEqual(fields.body, { flavorprofile: { name: 'fp-single', provider_name: 'amphora' } });
    const filtered = await svc.get('/v2/lbaas/flavorprofiles?name=fp-single');
    assert.deepEqual(filtered.body, { flavorprofiles: [fp], flavorprofile_links: [] });

    const put = await svc.put(`/v2/lbaas/flavorprofiles/${fp.id}`, {
      flavorprofile: { name: 'fp-standby', flavor_data: '{"loadbalancer_topology": "ACTIVE_STANDBY"}' },
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.flavorprofile, {
      id: fp.id,
      name: 'fp-standby',
      provider_name: 'amphora',
      flavor_data: '{"loadbalancer_topology": "ACTIVE_STANDBY"}',
    });
    const del = await svc.del(`/v2/lbaas/flavorprofiles/${fp.id}`);
    assert.equal(del.status, 204);
    const gone = await svc.get(`/v2/lbaas/flavorprofiles/${fp.id}`);
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, fault(`Flavor profile ${fp.id} not found.`));
  });

  it('validates flavor_data with the fault strings of Octavia and its amphora driver', async () => {
    const post = (flavorprofile: Record<string, unknown>) => svc.post('/v2/lbaas/flavorprofiles', { flavorprofile });
    const base = { name: 'bad', provider_name: 'amphora' };

    const notJson = await post({ ...base, flavor_data: '{not json' });
    assert.equal(notJson.status, 400);
    assert.deepEqual(notJson.body, fault('{not json is not a valid option for flavor_data'));

    const provider = await post({ ...base, provider_name: 'nope', flavor_data: '{}' });
    assert.equal(provider.status, 400);
    assert.deepEqual(provider.body, fault("Provider 'nope' is not enabled."));

    const unknownKey = await post({ ...base, flavor_data: '{"bogus": 1}' });
    assert.equal(unknownKey.status, 501);
    assert.deepEqual(unknownKey.body, {
      faultcode: 'Server',
      faultstring:
        "Provider 'amphora' does not support a requested option: Additional properties are not allowed ('bogus' was unexpected)",
      debuginfo: null,
    });
    const twoKeys = await post({ ...base, flavor_data: '{"a": 1, "compute_flavor": "x", "b": 2}' });
    assert.equal(
      twoKeys.body.faultstring,
      "Provider 'amphora' does not support a requested option: Additional properties are not allowed ('a', 'b' were unexpected)",
    );

    const badTopology = await post({ ...base, flavor_data: '{"loadbalancer_topology": "TRIPLE"}' });
    assert.equal(badTopology.status, 501);
    assert.equal(
      badTopology.body.faultstring,
      "Provider 'amphora' does not support a requested option: loadbalancer_topology 'TRIPLE' is not one of ['SINGLE', 'ACTIVE_STANDBY']",
    );
    const badType = await post({ ...base, flavor_data: '{"compute_flavor": 5}' });
    assert.equal(
      badType.body.faultstring,
      "Provider 'amphora' does not support a requested option: compute_flavor 5 is not of type 'string'",
    );
    const notObject = await post({ ...base, flavor_data: '["SINGLE"]' });
    assert.equal(notObject.status, 501);
    assert.equal(
      notObject.body.faultstring,
      "Provider 'amphora' does not support a requested option: ['SINGLE'] is not of type 'object'",
    );

    const tooLong = await post({ ...base, flavor_data: `{"compute_flavor": "${'x'.repeat(4096)}"}` });
    assert.equal(tooLong.status, 400);
    assert.match(
      tooLong.body.faultstring,
      /^Invalid input for field\/attribute flavor_data\. Value: '.*'\. Value should have a maximum character requirement of 4096$/,
    );

    const missing = await post({ name: 'x', provider_name: 'amphora' });
    assert.equal(missing.status, 400);
    assert.deepEqual(
      missing.body,
      fault("Invalid input for field/attribute flavor_data. Value: 'None'. Mandatory field missing."),
    );

    const unknownAttr = await post({ ...base, flavor_data: '{}', bogus: 1 });
    assert.equal(unknownAttr.status, 400);
    assert.deepEqual(unknownAttr.body, fault('Unknown attribute for argument flavor_profile_.flavorprofile: bogus'));

    assert.deepEqual((await svc.get('/v2/lbaas/flavorprofiles?name=bad')).body.flavorprofiles, []);
  });

  it('creates a flavor with Octavia defaults and answers its fields in order', async () => {
    const fp = await createProfile('fp-for-flavor');
    const res = await svc.post('/v2/lbaas/flavors', { flavor: { name: 'small', flavor_profile_id: fp.id } });
    assert.equal(res.status, 201);
    const flavor = res.body.flavor;
    assert.deepEqual(Object.keys(flavor), ['id', 'name', 'description', 'enabled', 'flavor_profile_id']);
    assert.deepEqual(flavor, {
      id: flavor.id,
      name: 'small',
      description: '',
      enabled: true,
      flavor_profile_id: fp.id,
    });
    assert.deepEqual((await svc.get(`/v2.0/lbaas/flavors/${flavor.id}`)).body, { flavor });

    const dup = await svc.post('/v2/lbaas/flavors', { flavor: { name: 'small', flavor_profile_id: fp.id } });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.body, fault('A flavor of small already exists.'));

    const noProfile = await svc.post('/v2/lbaas/flavors', { flavor: { name: 'orphan', flavor_profile_id: MISSING } });
    assert.equal(noProfile.status, 400);
    assert.deepEqual(noProfile.body, fault(`${MISSING} is not a valid option for flavor_profile_id`));

    const badId = await svc.post('/v2/lbaas/flavors', { flavor: { name: 'x', flavor_profile_id: 'nope' } });
    assert.equal(badId.status, 400);
    assert.equal(
      badId.body.faultstring,
      "Invalid input for field/attribute flavor_profile_id. Value: 'nope'. Value should be UUID format",
    );
  });

  it('updates a flavor name, description and enabled, but not its profile', async () => {
    const fp = await createProfile('fp-update');
    const flavor = await createFlavor('medium', fp.id, { description: 'two cpus' });
    await createFlavor('large', fp.id);
    const put = await svc.put(`/v2/lbaas/flavors/${flavor.id}`, {
      flavor: { name: 'medium-2', description: null, enabled: false },
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.flavor, {
      id: flavor.id,
      name: 'medium-2',
      description: '',
      enabled: false,
      flavor_profile_id: fp.id,
    });

    const taken = await svc.put(`/v2/lbaas/flavors/${flavor.id}`, { flavor: { name: 'large' } });
    assert.equal(taken.status, 409);
    assert.deepEqual(taken.body, fault('A flavor of large already exists.'));
    const same = await svc.put(`/v2/lbaas/flavors/${flavor.id}`, { flavor: { name: 'medium-2' } });
    assert.equal(same.status, 200);

    const nullName = await svc.put(`/v2/lbaas/flavors/${flavor.id}`, { flavor: { name: null } });
    assert.equal(nullName.status, 400);
    assert.deepEqual(nullName.body, fault('None is not a valid option for name'));
    const profile = await svc.put(`/v2/lbaas/flavors/${flavor.id}`, { flavor: { flavor_profile_id: fp.id } });
    assert.equal(profile.status, 400);
    assert.deepEqual(profile.body, fault('Unknown attribute for argument flavor_.flavor: flavor_profile_id'));

    const disabled = await svc.get(`/v2/lbaas/flavors?enabled=false&flavor_profile_id=${fp.id}`);
    assert.deepEqual(
      disabled.body.flavors.map((f: { name: string }) => f.name),
      ['medium-2'],
    );

    const missing = await svc.put(`/v2/lbaas/flavors/${MISSING}`, { flavor: { name: 'x' } });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, fault(`Flavor ${MISSING} not found.`));
    const malformed = await svc.get('/v2/lbaas/flavors/not-a-uuid');
    assert.equal(malformed.status, 404);
    assert.deepEqual(malformed.body, fault('Flavor not-a-uuid not found.'));
  });

  it('pages flavors with limit and marker', async () => {
    const fp = await createProfile('fp-paging');
    for (const name of ['page-a', 'page-b', 'page-c']) await createFlavor(name, fp.id);
    const first = await svc.get(`/v2/lbaas/flavors?flavor_profile_id=${fp.id}&sort=name:asc&limit=2`);
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.flavors.map((f: { name: string }) => f.name),
      ['page-a', 'page-b'],
    );
    assert.equal(first.body.flavors_links.length, 1);
    assert.equal(first.body.flavors_links[0].rel, 'next');
    const next = new URL(first.body.flavors_links[0].href);
    const second = await svc.get(`${next.pathname}${next.search}`);
    assert.deepEqual(
      second.body.flavors.map((f: { name: string }) => f.name),
      ['page-c'],
    );
    assert.deepEqual(
      second.body.flavors_links.map((l: { rel: string }) => l.rel),
      ['previous'],
    );
    const badMarker = await svc.get(`/v2/lbaas/flavors?marker=${MISSING}`);
    assert.equal(badMarker.status, 400);
    const badFilter = await svc.get('/v2/lbaas/flavors?bogus=1');
    assert.equal(badFilter.status, 400);
  });

  it('keeps a profile and a flavor while they are in use, and frees them after', async () => {
    const fp = await createProfile('fp-in-use');
    const flavor = await createFlavor('in-use', fp.id);

    const changeData = await svc.put(`/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { flavor_data: '{}' } });
    assert.equal(changeData.status, 409);
    assert.deepEqual(changeData.body, fault(`Flavor profile ${fp.id} is in use and cannot be modified.`));
    const changeProvider = await svc.put(`/v2/lbaas/flavorprofiles/${fp.id}`, {
      flavorprofile: { provider_name: 'octavia' },
    });
    assert.equal(changeProvider.status, 409);
    const rename = await svc.put(`/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { name: 'fp-renamed' } });
    assert.equal(rename.status, 200);
    assert.equal(rename.body.flavorprofile.name, 'fp-renamed');
    const nullData = await svc.put(`/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { flavor_data: null } });
    assert.equal(nullData.status, 400);
    assert.deepEqual(nullData.body, fault('None is not a valid option for flavor_data'));
    const delProfile = await svc.del(`/v2/lbaas/flavorprofiles/${fp.id}`);
    assert.equal(delProfile.status, 409);
    assert.deepEqual(delProfile.body, fault(`Flavor profile ${fp.id} is in use and cannot be modified.`));

    const lb = await svc.createLoadBalancer({ flavor_id: flavor.id });
    assert.equal(lb.flavor_id, flavor.id);
    const delFlavor = await svc.del(`/v2/lbaas/flavors/${flavor.id}`);
    assert.equal(delFlavor.status, 409);
    assert.deepEqual(delFlavor.body, fault(`Flavor ${flavor.id} is in use and cannot be modified.`));

    assert.equal((await svc.del(`/v2/lbaas/loadbalancers/${lb.id}`)).status, 204);
    await svc.settle();
    assert.equal((await svc.del(`/v2/lbaas/flavors/${flavor.id}`)).status, 204);
    assert.equal((await svc.get(`/v2/lbaas/flavors/${flavor.id}`)).status, 404);
    assert.equal((await svc.del(`/v2/lbaas/flavorprofiles/${fp.id}`)).status, 204);
    const again = await svc.del(`/v2/lbaas/flavorprofiles/${fp.id}`);
    assert.equal(again.status, 404);
    assert.deepEqual(again.body, fault(`Flavor profile ${fp.id} not found.`));
  });
});
