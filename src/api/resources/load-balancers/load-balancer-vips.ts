import type { LoadBalancerRow } from '../../../db/schema.js';

/** The VIP addresses of a load balancer (its own and any additional ones), for the allowed_cidrs check. */
export function vipsOf(lb: LoadBalancerRow): string[] {
  const extra = JSON.parse(lb.additional_vips) as Array<{ ip_address?: string | null }>;
  return [lb.vip_address, ...extra.map((v) => v.ip_address)].filter(
    (a): a is string => typeof a === 'string' && a !== '',
  );
}

/** Whether the load balancer's VIP carries custom security groups (then allowed_cidrs is refused). */
export const hasVipSecurityGroups = (lb: LoadBalancerRow): boolean =>
  lb.vip_sg_ids !== null && (JSON.parse(lb.vip_sg_ids) as unknown[]).length > 0;
