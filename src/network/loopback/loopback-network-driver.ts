import { validationFailure } from '../../common/errors.js';
import type { Db } from '../../db/database.js';
import { toBool } from '../../db/schema.js';
import { ipv4ToNumber } from '../ipv4.js';
import type { NetworkDriver, Vip, VipRequest } from '../network-driver.js';
import { attachPort, createPortWithAddress, deletePort, detachPort, findPort, SubnetExhausted } from '../ports.js';
import { deleteVipSecurityGroup, syncVipSecurityGroup } from '../security-groups.js';
import { findSubnet, subnetContains, subnetHolds, subnetsOfNetwork, type Subnet } from '../subnets.js';
import { vipFaults } from '../vip-faults.js';

/** What marks a port as made by Tavia for a load balancer (Octavia's names), so only those are deleted. */
const OWNER = 'Octavia';
const deviceIdOf = (loadBalancerId: string) => `lb-${loadBalancerId}`;
const portNameOf = (loadBalancerId: string) => `octavia-lb-${loadBalancerId}`;

/**
 * Single-host networking over the stored network model: every VIP is a port with a fixed IP from its
 * subnet. The default subnets lie in 127.0.0.0/8, which Linux routes to the loopback device, so HAProxy
 * binds a VIP without configuring anything. The VIP request is read as Octavia reads it:
 * - vip_port_id: an existing, unused port; the VIP is its fixed IP (on vip_subnet_id / equal to
 *   vip_address when given). The port is attached to the load balancer and detached, not deleted, after.
 * - vip_network_id: the given subnet of that network, else the subnet holding vip_address, else the first
 *   subnet with a free address.
 * - vip_subnet_id: vip_address if it is a free host address of the subnet, else a free pool address.
 * Uniqueness of addresses is the database's (a unique constraint), so it holds across processes and restarts.
 */
export class LoopbackNetworkDriver implements NetworkDriver {
  readonly name = 'loopback';

  constructor(private readonly db: Db) {}

  async allocateVip(request: VipRequest): Promise<Vip> {
    if (request.portId) return this.vipOnPort(request, request.portId);
    if (request.networkId) return this.vipOnNetwork(request, request.networkId);
    if (request.subnetId) {
      const subnet = await findSubnet(this.db.kysely, request.subnetId);
      if (!subnet) throw vipFaults.subnetNotFound(request.subnetId);
      return this.newPort(request, subnet);
    }
    throw validationFailure('VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.');
  }

  /**
   * Delete the port made for the load balancer, or detach the user's port it used, and remove the
   * load balancer's security group; idempotent.
   */
  async deallocateVip(loadBalancerId: string, vip: Vip): Promise<void> {
    const port = await findPort(this.db.kysely, vip.portId);
    if (port && port.device_id === deviceIdOf(loadBalancerId)) {
      if (port.device_owner === OWNER && port.name === portNameOf(loadBalancerId)) await deletePort(this.db, port.id);
      else await detachPort(this.db.kysely, port.id, port.device_id);
    }
    await deleteVipSecurityGroup(this.db, loadBalancerId);
  }

  /** The VIP port's `lb-<id>` security group follows the listeners (security-groups.ts). */
  async updateVip(loadBalancerId: string): Promise<void> {
    await syncVipSecurityGroup(this.db, loadBalancerId);
  }

  /**
   * Octavia's VIP needs security groups on its port (an amphora VIP on a network without port security
   * goes to ERROR there); Tavia refuses it up front instead.
   */
  private async refuseWithoutPortSecurity(networkId: string, portSecurityEnabled = true): Promise<void> {
    const network = await this.db.kysely
      .selectFrom('network')
      .select('port_security_enabled')
      .where('id', '=', networkId)
      .executeTakeFirst();
    if ((network && !toBool(network.port_security_enabled)) || !portSecurityEnabled)
      throw vipFaults.portSecurityDisabled(networkId);
  }

  private async vipOnPort(request: VipRequest, portId: string): Promise<Vip> {
    const port = await findPort(this.db.kysely, portId);
    if (!port) throw vipFaults.portNotFound(portId);
    if (port.device_id !== '') throw vipFaults.portInUse(port.id, port.device_id);
    await this.refuseWithoutPortSecurity(port.network_id, toBool(port.port_security_enabled));
    if (request.subnetId && !(await findSubnet(this.db.kysely, request.subnetId)))
      throw vipFaults.subnetNotFound(request.subnetId);
    let candidates = port.fixedIps;
    if (request.subnetId) candidates = candidates.filter((ip) => ip.subnet_id === request.subnetId);
    if (request.address !== undefined) {
      // Node accepts only the canonical dotted quad as IPv4, the spelling the port table holds.
      const match = candidates.find((ip) => ip.ip_address === request.address);
      if (!match) throw vipFaults.addressNotOnPort();
      candidates = [match];
    } else if (request.subnetId && candidates.length === 0) {
      throw vipFaults.subnetNotOnPort(port.id, request.subnetId);
    }
    const fixedIp = candidates.length === 1 ? candidates[0] : undefined;
    if (!fixedIp) throw vipFaults.portSubnetUnknown();
    if (!(await attachPort(this.db.kysely, port.id, deviceIdOf(request.loadBalancerId)))) {
      const now = await findPort(this.db.kysely, port.id);
      throw now ? vipFaults.portInUse(port.id, now.device_id) : vipFaults.portNotFound(port.id);
    }
    return { address: fixedIp.ip_address, portId: port.id, subnetId: fixedIp.subnet_id, networkId: port.network_id };
  }

  private async vipOnNetwork(request: VipRequest, networkId: string): Promise<Vip> {
    const network = await this.db.kysely
      .selectFrom('network')
      .select('id')
      .where('id', '=', networkId)
      .executeTakeFirst();
    if (!network) throw vipFaults.networkNotFound(networkId);
    await this.refuseWithoutPortSecurity(networkId);
    const subnets = await subnetsOfNetwork(this.db.kysely, networkId);
    if (request.subnetId) {
      const subnet = subnets.find((s) => s.id === request.subnetId);
      if (!subnet) throw vipFaults.subnetNotFound(request.subnetId);
      return this.newPort(request, subnet);
    }
    if (request.address !== undefined) {
      const address = ipv4ToNumber(request.address);
      const subnet = subnets.find((s) => subnetContains(s, address));
      if (!subnet) throw vipFaults.noSubnetForAddress();
      return this.newPort(request, subnet);
    }
    if (subnets.length === 0) throw vipFaults.networkWithoutSubnet();
    for (const subnet of subnets.filter((s) => s.cidr !== null)) {
      try {
        return await this.newPort(request, subnet, false);
      } catch (err) {
        if (!(err instanceof SubnetExhausted)) throw err;
      }
    }
    throw vipFaults.networkFull();
  }

  /**
   * A new port for the load balancer on `subnet`, holding the requested address or a free one. A full
   * subnet is Neutron's 409, or SubnetExhausted when the caller goes on to the network's next subnet.
   */
  private async newPort(request: VipRequest, subnet: Subnet, fullIsFault = true): Promise<Vip> {
    if (!subnet.cidr) throw vipFaults.unsupportedSubnet(subnet.id);
    await this.refuseWithoutPortSecurity(subnet.networkId);
    let address: number | undefined;
    if (request.address !== undefined) {
      const n = ipv4ToNumber(request.address);
      if (!subnetHolds(subnet, n)) throw vipFaults.addressNotInSubnet(request.address);
      address = n;
    }
    const owner = {
      projectId: request.projectId,
      name: portNameOf(request.loadBalancerId),
      deviceOwner: OWNER,
      deviceId: deviceIdOf(request.loadBalancerId),
    };
    try {
      const port = await createPortWithAddress(this.db, subnet, owner, address);
      return { address: port.address, portId: port.portId, subnetId: subnet.id, networkId: subnet.networkId };
    } catch (err) {
      if (err instanceof SubnetExhausted && fullIsFault) throw vipFaults.subnetFull(subnet.networkId);
      throw err;
    }
  }
}
