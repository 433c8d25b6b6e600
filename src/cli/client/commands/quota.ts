import type { Command } from 'commander';
import { renderList, renderOne } from '../output/formats.js';
import { CliError, type ClientRuntime } from '../runtime.js';
import { addFieldOptions, anyGiven, fieldValues, int, str, type FieldOption } from './fields.js';
import { cellsOf } from './formatters.js';
import { commandGroup, leafCommand, onAction } from './kit.js';

export const QUOTA_ROWS = [
  'load_balancer',
  'listener',
  'pool',
  'health_monitor',
  'member',
  'l7policy',
  'l7rule',
] as const;
export const QUOTA_COLUMNS = ['project_id', ...QUOTA_ROWS] as const;

const QUOTAS = '/v2/lbaas/quotas';

/** flag -> the body field octaviaclient sends, and what it limits. */
const LIMITS: Array<[flag: string, field: string, what: string]> = [
  ['--healthmonitor', 'healthmonitor', 'health monitors'],
  ['--listener', 'listener', 'listeners'],
  ['--loadbalancer', 'loadbalancer', 'load balancers'],
  ['--member', 'member', 'members'],
  ['--pool', 'pool', 'pools'],
  ['--l7policy', 'l7policy', 'l7policies'],
  ['--l7rule', 'l7rule', 'l7rules'],
];

const setOptions: FieldOption[] = LIMITS.map(([flag, field, what]) =>
  int(`${flag} <${field}>`, field, `New value for the ${what} quota. Value -1 means unlimited.`),
);

const projectPath = (project: string) => `${QUOTAS}/${encodeURIComponent(project)}`;

export function addQuotaCommands(group: Command, runtime: ClientRuntime): void {
  const list = leafCommand(group, 'list', 'List quotas', runtime, 'list');
  addFieldOptions(list, [str('--project <project-id>', 'project_id', 'Name or UUID of the project.')]);
  onAction(list, runtime, async (ctx) => {
    const query = (await fieldValues(
      [str('--project <project-id>', 'project_id', '')],
      ctx.opts,
      ctx.session,
    )) as Record<string, string>;
    const quotas = await (await ctx.session()).loadBalancer.list<Record<string, unknown>>(QUOTAS, 'quotas', query);
    ctx.print(
      renderList(
        QUOTA_COLUMNS,
        quotas.map((q) => cellsOf(q, QUOTA_COLUMNS)),
        ctx.output(),
      ),
    );
  });

  const show = leafCommand(group, 'show', 'Show the quota details for a project', runtime, 'show').argument(
    '<project>',
    'Name or UUID of the project.',
  );
  onAction(show, runtime, async (ctx) => {
    const body = await (
      await ctx.session()
    ).loadBalancer.get<{ quota: Record<string, unknown> }>(projectPath(ctx.args[0]!));
    ctx.print(renderOne(QUOTA_ROWS, cellsOf(body?.quota ?? {}, QUOTA_ROWS), ctx.output()));
  });

  const defaults = commandGroup(group, 'defaults', 'Quota defaults', runtime);
  const defaultsShow = leafCommand(defaults, 'show', 'Show quota defaults', runtime, 'show');
  onAction(defaultsShow, runtime, async (ctx) => {
    const body = await (await ctx.session()).loadBalancer.get<{ quota: Record<string, unknown> }>(`${QUOTAS}/defaults`);
    ctx.print(renderOne(QUOTA_ROWS, cellsOf(body?.quota ?? {}, QUOTA_ROWS), ctx.output()));
  });

  const set = leafCommand(group, 'set', 'Update a quota', runtime, 'show').argument(
    '<project>',
    'Name or UUID of the project.',
  );
  addFieldOptions(set, setOptions);
  onAction(set, runtime, async (ctx) => {
    if (!anyGiven(setOptions, ctx.opts)) {
      throw new CliError('At least one of the following arguments is required: ' + LIMITS.map(([f]) => f).join(', '));
    }
    const quota = await fieldValues(setOptions, ctx.opts, ctx.session);
    const body = await (
      await ctx.session()
    ).loadBalancer.put<{ quota: Record<string, unknown> }>(projectPath(ctx.args[0]!), { quota });
    ctx.print(renderOne(QUOTA_ROWS, cellsOf(body?.quota ?? {}, QUOTA_ROWS), ctx.output()));
  });

  const reset = leafCommand(group, 'reset', 'Resets quotas to default quotas', runtime, 'none').argument(
    '<project>',
    'Project to reset quotas (name or ID).',
  );
  onAction(reset, runtime, async (ctx) => {
    await (await ctx.session()).loadBalancer.delete(projectPath(ctx.args[0]!));
  });

  const unset = leafCommand(group, 'unset', 'Clear quota settings', runtime, 'none').argument(
    '<project>',
    'Name or UUID of the project.',
  );
  for (const [flag, , what] of LIMITS) unset.option(flag, `Reset the ${what} quota to the default.`);
  onAction(unset, runtime, async (ctx) => {
    const quota: Record<string, null> = {};
    for (const [flag, field] of LIMITS)
      if (ctx.opts[flag.slice(2).replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase())]) quota[field] = null;
    if (Object.keys(quota).length === 0) return;
    await (await ctx.session()).loadBalancer.put(projectPath(ctx.args[0]!), { quota });
  });
}
