import { isIPv4 } from 'node:net';

/** IPv4 addresses as numbers (0 .. 2^32-1), so ranges and "the next address" are plain arithmetic. */

export function ipv4ToNumber(address: string): number | null {
  if (!isIPv4(address)) return null;
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export interface Ipv4Cidr {
  /** The network address as a number. */
  network: number;
  /** The broadcast (last) address as a number. */
  broadcast: number;
  prefix: number;
}

/** `a.b.c.d/n`, or null when it is not an IPv4 CIDR. */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr | null {
  const [address, prefixText, ...rest] = cidr.split('/');
  if (rest.length > 0 || address === undefined || prefixText === undefined || !/^\d{1,2}$/.test(prefixText))
    return null;
  const base = ipv4ToNumber(address);
  const prefix = Number(prefixText);
  if (base === null || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  return { network, broadcast: network + size - 1, prefix };
}

/** True when `n` is an address of the CIDR a host may hold (not its network or broadcast address, as Neutron says, below /31). */
export function isHostAddress(cidr: Ipv4Cidr, n: number): boolean {
  if (n < cidr.network || n > cidr.broadcast) return false;
  if (cidr.prefix >= 31) return true;
  return n !== cidr.network && n !== cidr.broadcast;
}
