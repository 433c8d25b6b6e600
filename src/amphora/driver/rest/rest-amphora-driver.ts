import { join } from 'node:path';
import type { LoadBalancerGraph } from '../../../db/load-balancer-graph.js';
import type { AmphoraRow } from '../../../db/schema.js';
import { GraphView } from '../../haproxy/graph-view.js';
import { renderHaproxyConfig } from '../../haproxy/render-config.js';
import type { AmphoraDriver } from '../amphora-driver.js';
import { agentEndpoint, agentRequest, type AgentResponse } from './agent-client.js';
import type { ControllerCredentials } from './controller-credentials.js';

/** The agent's state directory for an amphora: the paths in haproxy.cfg live under `<dir>/lb/<lb_id>/`. */
export type AgentStateDir = (amphora: AmphoraRow) => string;

/**
 * Drives the Tavia amphora agent over its mutual-TLS REST API: renders the load balancer's haproxy.cfg,
 * uploads it (the agent checks it with `haproxy -c` before keeping it) and reloads HAProxy.
 */
export class RestAmphoraDriver implements AmphoraDriver {
  readonly name = 'rest';

  constructor(
    private readonly credentials: ControllerCredentials,
    private readonly agentStateDir: AgentStateDir,
    /** Upper bound for HAProxy's global maxconn on the amphorae (their open-files limit). */
    private readonly maxConnCap?: number,
  ) {}

  async applyConfig(amphora: AmphoraRow, graph: LoadBalancerGraph): Promise<void> {
    const lbId = graph.loadBalancer.id;
    // Nothing for HAProxy to serve (no enabled TCP/HTTP listener): the agent runs nothing for this LB.
    if (new GraphView(graph).listeners().length === 0) return this.removeConfig(amphora, lbId);
    const lbDir = join(this.agentStateDir(amphora), 'lb', lbId);
    const text = renderHaproxyConfig(graph, {
      statsSocketPath: join(lbDir, 'stats.sock'),
      serverStateFilePath: join(lbDir, 'servers.state'),
      certDir: join(lbDir, 'certs'),
      maxConnCap: this.maxConnCap,
    });
    expect(await this.call(amphora, 'PUT', `/1.0/loadbalancer/${amphora.id}/${lbId}/haproxy`, text), [202], 'upload');
    expect(await this.call(amphora, 'PUT', `/1.0/loadbalancer/${lbId}/reload`), [202], 'reload');
  }

  async removeConfig(amphora: AmphoraRow, loadBalancerId: string): Promise<void> {
    expect(await this.call(amphora, 'DELETE', `/1.0/listeners/${loadBalancerId}`), [200, 404], 'delete');
  }

  private async call(amphora: AmphoraRow, method: string, path: string, body?: string): Promise<AgentResponse> {
    return agentRequest(agentEndpoint(amphora), await this.credentials.client(), method, path, body);
  }
}

function expect(res: AgentResponse, ok: number[], what: string): void {
  if (!ok.includes(res.status)) throw new Error(`amphora agent ${what} failed (${res.status}): ${res.body}`);
}
