/** How the control plane gets addresses for VIPs. Implementations live in one folder each (noop/, ...). */

export interface VipRequest {
  loadBalancerId: string;
  projectId: string;
  subnetId?: string;
  networkId?: string;
  portId?: string;
  address?: string;
}

export interface Vip {
  address: string;
  portId: string;
  subnetId: string | null;
  networkId: string | null;
}

export interface NetworkDriver {
  readonly name: string;
  /**
   * Reserve a VIP port; throws an ApiError with Octavia's fault: 400 for an unknown subnet, network or
   * port (or one that does not fit the request), 409 for an address already allocated or a full subnet.
   */
  allocateVip(request: VipRequest): Promise<Vip>;
  /** Release the VIP port of a deleted load balancer (delete the one made for it, detach a user's); idempotent. */
  deallocateVip(loadBalancerId: string, vip: Vip): Promise<void>;
  /**
   * Bring the VIP port in step with the load balancer's listeners (Octavia's `update_vip`: the port's
   * security group opens the listener ports). Called after every configuration push; idempotent.
   */
  updateVip?(loadBalancerId: string): Promise<void>;
}
