/** Where amphorae live. `noop/` makes none; the data plane adds `process/` and `netns/`. */

export interface AmphoraBuildRequest {
  amphoraId: string;
  loadBalancerId: string;
}

export interface BuiltAmphora {
  computeId: string;
  /** The address the controller reaches the amphora's agent on. */
  lbNetworkIp: string;
}

export interface ComputeDriver {
  readonly name: string;
  /** Start an amphora; idempotent for one amphoraId (a resumed flow may ask twice). */
  build(request: AmphoraBuildRequest): Promise<BuiltAmphora>;
  /** Stop and remove an amphora; idempotent. */
  destroy(computeId: string): Promise<void>;
}
