import type { LoadBalancerGraph } from '../../db/load-balancer-graph.js';
import type { AmphoraRow } from '../../db/schema.js';

/** How the controller reaches an amphora's agent. `noop` talks to nobody; the data plane adds the REST driver. */
export interface AmphoraDriver {
  readonly name: string;
  /** Render the load balancer's whole configuration and make the amphora run it. */
  applyConfig(amphora: AmphoraRow, graph: LoadBalancerGraph): Promise<void>;
  /** Stop serving the load balancer on this amphora (before it is destroyed); idempotent. */
  removeConfig(amphora: AmphoraRow, loadBalancerId: string): Promise<void>;
}
