import { Command, CommanderError } from 'commander';
import { AUTH_HELP } from './auth/auth-settings.js';
import { addAmphoraCommands } from './commands/amphora.js';
import { addResourceCommands } from './commands/crud.js';
import { availabilityZoneProfileSpec, availabilityZoneSpec, flavorProfileSpec, flavorSpec } from './commands/flavor.js';
import { healthMonitorSpec } from './commands/health-monitor.js';
import { commandGroup, configureCommand } from './commands/kit.js';
import { l7policySpec, l7ruleSpec } from './commands/l7.js';
import { addListenerCommands } from './commands/listener.js';
import { addLoadBalancerCommands } from './commands/load-balancer.js';
import { memberSpec } from './commands/member.js';
import { addFloatingIpCommands, addNetworkCommands, addSubnetCommands } from './commands/network.js';
import { poolSpec } from './commands/pool.js';
import { addProviderCommands } from './commands/provider.js';
import { addQuotaCommands } from './commands/quota.js';
import { EXIT_FAILURE, parserExitCode, processRuntime, type ClientIo, type ClientRuntime } from './runtime.js';

export type { ClientIo } from './runtime.js';

/**
 * Add `loadbalancer` (alias `lb`): the `openstack loadbalancer ...` commands, flags and output, against
 * the Octavia v2 API of Tavia or any Octavia. Without a runtime the commands talk to the real process.
 */
export function registerClientCommands(program: Command, runtime: ClientRuntime = processRuntime()): void {
  const lb = commandGroup(
    program,
    'loadbalancer',
    'Manage load balancers (the openstack loadbalancer commands)',
    runtime,
  );
  lb.alias('lb');
  lb.addHelpText('after', AUTH_HELP);
  addLoadBalancerCommands(lb, runtime);
  addListenerCommands(commandGroup(lb, 'listener', 'Manage listeners', runtime), runtime);
  addResourceCommands(commandGroup(lb, 'pool', 'Manage pools', runtime), poolSpec, runtime);
  addResourceCommands(commandGroup(lb, 'member', 'Manage pool members', runtime), memberSpec, runtime);
  addResourceCommands(commandGroup(lb, 'healthmonitor', 'Manage health monitors', runtime), healthMonitorSpec, runtime);
  addResourceCommands(commandGroup(lb, 'l7policy', 'Manage L7 policies', runtime), l7policySpec, runtime);
  addResourceCommands(commandGroup(lb, 'l7rule', 'Manage L7 rules', runtime), l7ruleSpec, runtime);
  addAmphoraCommands(commandGroup(lb, 'amphora', 'Manage amphorae (administrators)', runtime), runtime);
  addQuotaCommands(commandGroup(lb, 'quota', 'Manage quotas', runtime), runtime);
  addProviderCommands(commandGroup(lb, 'provider', 'Provider drivers and their capabilities', runtime), runtime);
  addResourceCommands(commandGroup(lb, 'flavor', 'Manage flavors', runtime), flavorSpec, runtime);
  addResourceCommands(commandGroup(lb, 'flavorprofile', 'Manage flavor profiles', runtime), flavorProfileSpec, runtime);
  addResourceCommands(
    commandGroup(lb, 'availabilityzone', 'Manage availability zones', runtime),
    availabilityZoneSpec,
    runtime,
  );
  addResourceCommands(
    commandGroup(lb, 'availabilityzoneprofile', 'Manage availability zone profiles', runtime),
    availabilityZoneProfileSpec,
    runtime,
  );

  // The network steps of the walkthrough (openstack floating ip / subnet / network).
  const floating = commandGroup(
    program,
    'floating',
    'Manage floating IPs (the openstack floating ip commands)',
    runtime,
  );
  addFloatingIpCommands(commandGroup(floating, 'ip', 'Manage floating IPs', runtime), runtime);
  addSubnetCommands(commandGroup(program, 'subnet', 'Show subnets (the openstack subnet commands)', runtime), runtime);
  addNetworkCommands(
    commandGroup(program, 'network', 'Show networks (the openstack network commands)', runtime),
    runtime,
  );
}

/**
 * Run one client command line in this process (argv without the program name, e.g.
 * ['loadbalancer', 'list', '-f', 'json']) and return its exit code: 0, 1 (API/client error), 2 (usage).
 */
export async function runClient(argv: string[], io: ClientIo): Promise<number> {
  let exitCode = 0;
  const runtime: ClientRuntime = {
    io,
    fail(code) {
      exitCode = code;
    },
    onParserExit(err) {
      throw err;
    },
  };
  const program = configureCommand(new Command('tavia'), runtime);
  registerClientCommands(program, runtime);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return parserExitCode(err);
    io.stderr.write(`Unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
  return exitCode;
}
