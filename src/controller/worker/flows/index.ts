import type { Flow } from '../flow.js';
import { applyChangesFlow } from './apply-changes.js';
import { createLoadBalancerFlow, deleteLoadBalancerFlow, failoverFlow } from './load-balancer-flows.js';

/** Every flow a worker can run, by the name the API stores in a job. */
export const FLOWS: Record<string, Flow> = Object.fromEntries(
  [applyChangesFlow, createLoadBalancerFlow, deleteLoadBalancerFlow, failoverFlow].map((f) => [f.name, f]),
);
