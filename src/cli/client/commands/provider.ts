import type { Command } from 'commander';
import { renderList } from '../output/formats.js';
import type { ClientRuntime } from '../runtime.js';
import { cellsOf } from './formatters.js';
import { commandGroup, leafCommand, onAction } from './kit.js';

export const PROVIDER_COLUMNS = ['name', 'description'] as const;
export const PROVIDER_CAPABILITY_COLUMNS = ['type', 'name', 'description'] as const;

export function addProviderCommands(group: Command, runtime: ClientRuntime): void {
  const list = leafCommand(group, 'list', 'List all providers', runtime, 'list');
  onAction(list, runtime, async (ctx) => {
    const providers = await (
      await ctx.session()
    ).loadBalancer.list<Record<string, unknown>>('/v2/lbaas/providers', 'providers');
    ctx.print(
      renderList(
        PROVIDER_COLUMNS,
        providers.map((p) => cellsOf(p, PROVIDER_COLUMNS)),
        ctx.output(),
      ),
    );
  });

  const capability = commandGroup(group, 'capability', 'Provider capabilities', runtime);
  const capList = leafCommand(capability, 'list', "List specified provider driver's capabilities.", runtime, 'list')
    .argument('<provider_name>', 'Name of the provider driver.')
    .option('--flavor', 'Get capabilities for flavor only.')
    .option('--availability-zone', 'Get capabilities for availability zone only.');
  onAction(capList, runtime, async (ctx) => {
    const client = (await ctx.session()).loadBalancer;
    const provider = encodeURIComponent(ctx.args[0]!);
    // Neither flag: both kinds, flavor capabilities first, as octaviaclient lists them.
    const both = !ctx.opts.flavor && !ctx.opts.availabilityZone;
    const rows: Array<Record<string, unknown>> = [];
    if (both || ctx.opts.flavor) {
      const caps = await client.list<Record<string, unknown>>(
        `/v2/lbaas/providers/${provider}/flavor_capabilities`,
        'flavor_capabilities',
      );
      rows.push(...caps.map((c) => ({ type: 'flavor', ...c })));
    }
    if (both || ctx.opts.availabilityZone) {
      const caps = await client.list<Record<string, unknown>>(
        `/v2/lbaas/providers/${provider}/availability_zone_capabilities`,
        'availability_zone_capabilities',
      );
      rows.push(...caps.map((c) => ({ type: 'availability_zone', ...c })));
    }
    ctx.print(
      renderList(
        PROVIDER_CAPABILITY_COLUMNS,
        rows.map((r) => cellsOf(r, PROVIDER_CAPABILITY_COLUMNS)),
        ctx.output(),
      ),
    );
  });
}
