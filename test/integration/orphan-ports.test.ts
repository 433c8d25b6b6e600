import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nowTimestamp } from '../../src/common/ids.js';
import { releaseOrphanVipPorts } from '../../src/network/orphan-ports.js';
import { createPortWithAddress } from '../../src/network/ports.js';
import { findSubnet } from '../../src/network/subnets.js';
import { subnetIdByName } from '../helpers/networks.js';
import { TestService } from '../helpers/service.js';

/** VIP ports left behind by an API process that died between allocating a port and inserting its load balancer. */
describe('orphan VIP ports', () => {
  let s: TestService;
  before(async () => {
    s = await TestService.start({ drivers: { compute: 'noop', network: 'loopback', amphora: 'noop' } });
  });
  after(() => s.stop());

  it('releases old ports of missing load balancers, and nothing else', async () => {
    const db = s.node.db;
    const subnet = (await findSubnet(db.kysely, await subnetIdByName(db, 'private-subnet')))!;
    const lb = await s.post('/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnet.id } });
    assert.equal(lb.status, 201, JSON.stringify(lb.body));
    const live = lb.body.loadbalancer as { id: string; vip_port_id: string };
    const orphan = await createPortWithAddress(db, subnet, {
      projectId: 'p',
      name: 'octavia-lb-00000000-0000-0000-0000-00000000dead',
      deviceOwner: 'Octavia',
      deviceId: 'lb-00000000-0000-0000-0000-00000000dead',
    });
    const usersPort = await createPortWithAddress(db, subnet, {
      projectId: 'p',
      name: 'my-port',
      deviceOwner: '',
      deviceId: 'lb-00000000-0000-0000-0000-00000000beef',
    });
    const fresh = await createPortWithAddress(db, subnet, {
      projectId: 'p',
      name: 'octavia-lb-00000000-0000-0000-0000-00000000f00d',
      deviceOwner: 'Octavia',
      deviceId: 'lb-00000000-0000-0000-0000-00000000f00d',
    });
    const old = nowTimestamp(new Date(Date.now() - 3600_000));
    await db.kysely
      .updateTable('port')
      .set({ created_at: old })
      .where('id', 'in', [orphan.portId, usersPort.portId, live.vip_port_id])
      .execute();

    assert.equal(await releaseOrphanVipPorts(db), 2);
    const ports = await db.kysely.selectFrom('port').select(['id', 'device_id']).execute();
    const byId = new Map(ports.map((p) => [p.id, p.device_id]));
    assert.equal(byId.has(orphan.portId), false, 'the orphan Tavia created is deleted');
    const addresses = await db.kysely
      .selectFrom('port_fixed_ip')
      .select('ip_address')
      .where('ip_address', '=', orphan.address)
      .execute();
    assert.deepEqual(addresses, [], 'its address is free again');
    assert.equal(byId.get(usersPort.portId), '', "a user's port is detached, not deleted");
    assert.equal(byId.get(fresh.portId), 'lb-00000000-0000-0000-0000-00000000f00d', 'a new allocation is left alone');
    assert.equal(byId.get(live.vip_port_id), `lb-${live.id}`, 'a live load balancer keeps its port');
    assert.equal(await releaseOrphanVipPorts(db), 0, 'idempotent');
  });
});
