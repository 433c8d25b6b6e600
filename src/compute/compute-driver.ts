/** Where amphorae live. `noop/` makes none; the data plane adds `process/` and `netns/`. */

export interface AmphoraBuildRequest {
  amphoraId: string;
  loadBalancerId: string;
}

export interface BuiltAmphora {
  computeId: string;
  /** The address the controller reaches the amphora's agent on. */
  lbNetworkIp: string;
  /** When the agent's server certificate expires (Octavia's cert_expiration). */
  certExpiration?: Date;
}

/** An amphora made to run again after a restart. */
export interface RecoveredAmphora {
  /** May differ from the stored one (a process amphora whose old port was taken). */
  computeId: string;
  lbNetworkIp: string;
  /** False when it had been running all along. */
  restarted: boolean;
  /** Stored configs whose HAProxy did not start again. */
  bootFailures: Array<{ lbId: string; error: string }>;
}

export interface ComputeDriver {
  readonly name: string;
  /** Start an amphora; idempotent for one amphoraId (a resumed flow may ask twice). */
  build(request: AmphoraBuildRequest): Promise<BuiltAmphora>;
  /** Stop and remove an amphora; idempotent. */
  destroy(computeId: string): Promise<void>;
  /** After a control plane restart: make a built amphora run again if it does not; undefined when not ours. */
  recover?(amphoraId: string, computeId: string): Promise<RecoveredAmphora | undefined>;
  /** Release what the driver holds when its node stops; `stopAmphorae` also stops the amphorae it runs locally. */
  close?(options: { stopAmphorae: boolean }): Promise<void>;
}
