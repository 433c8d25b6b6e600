import { isIPv4 } from 'node:net';
import { randomInt } from 'node:crypto';
import { badRequest, validationFailure } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { Db } from '../../db/database.js';
import type { NetworkDriver, Vip, VipRequest } from '../network-driver.js';

/** 127.1.0.0/16 without its network and broadcast addresses. */
const FIRST = 1;
const LAST = 0xfffe;
const PREFIX = '127.1.';

const addressOf = (n: number): string => `${PREFIX}${n >> 8}.${n & 0xff}`;

/**
 * Single-host networking: every load balancer gets its own VIP in 127.1.0.0/16 (Linux routes all of
 * 127.0.0.0/8 to the loopback device, so HAProxy can bind it without configuring anything). Any subnet,
 * network or port id is accepted. An address is free when no load balancer row holds it, so uniqueness
 * survives restarts; addresses handed out but not yet committed are remembered in this process. Two API
 * processes allocating at the same moment could still pick the same address; the random starting point
 * makes that unlikely, and the second HAProxy would then fail to bind (the load balancer goes to ERROR).
 */
export class LoopbackNetworkDriver implements NetworkDriver {
  readonly name = 'loopback';
  private readonly reserved = new Set<string>();

  constructor(private readonly db: Db) {}

  async allocateVip(request: VipRequest): Promise<Vip> {
    const used = new Set(
      (await this.db.kysely.selectFrom('load_balancer').select('vip_address').execute()).map((r) => r.vip_address),
    );
    for (const a of this.reserved) used.add(a);
    const address = request.address ?? this.pickFree(used);
    if (request.address !== undefined) {
      if (!isIPv4(address) || !address.startsWith('127.'))
        throw validationFailure(`VIP address ${address} is not a loopback address.`);
      if (used.has(address)) throw validationFailure(`VIP address ${address} is already in use.`);
    }
    this.reserved.add(address);
    return {
      address,
      portId: request.portId ?? newId(),
      subnetId: request.subnetId ?? null,
      networkId: request.networkId ?? newId(),
    };
  }

  async deallocateVip(_loadBalancerId: string, vip: Vip): Promise<void> {
    this.reserved.delete(vip.address);
  }

  private pickFree(used: Set<string | null>): string {
    const size = LAST - FIRST + 1;
    const start = randomInt(size);
    for (let i = 0; i < size; i++) {
      const candidate = addressOf(FIRST + ((start + i) % size));
      if (!used.has(candidate)) return candidate;
    }
    throw badRequest('No free VIP address left in 127.1.0.0/16.');
  }
}
