import { newId } from '../../common/ids.js';
import type { NetworkDriver, Vip, VipRequest } from '../network-driver.js';

/**
 * Octavia's no-op network driver: any subnet, network or port id is accepted and the VIP is made up
 * (the requested address, or 198.51.100.1 from the documentation range, as Octavia's noop answers).
 */
export class NoopNetworkDriver implements NetworkDriver {
  readonly name = 'noop';

  async allocateVip(request: VipRequest): Promise<Vip> {
    return {
      address: request.address ?? '198.51.100.1',
      portId: request.portId ?? newId(),
      subnetId: request.subnetId ?? null,
      networkId: request.networkId ?? newId(),
    };
  }

  async deallocateVip(): Promise<void> {}

  async updateVip(): Promise<void> {}
}
