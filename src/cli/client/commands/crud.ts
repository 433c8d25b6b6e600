import { Option, type Command } from 'commander';
import type { Session } from '../auth/session.js';
import { renderList, renderOne } from '../output/formats.js';
import { findId, findObject } from '../resolve.js';
import type { ResourceKind } from '../resources.js';
import type { ClientRuntime } from '../runtime.js';
import { waitForActive, waitForDelete } from '../wait.js';
import { addFieldOptions, anyGiven, fieldValues, type FieldOption } from './fields.js';
import { cellsOf, type Formatter } from './formatters.js';
import { leafCommand, onAction, type ActionContext } from './kit.js';

/** A positional name-or-ID argument naming another object. */
export interface PositionalRef {
  name: string;
  help: string;
  kind: ResourceKind;
  /** The body field its ID goes to (listener create <loadbalancer> -> loadbalancer_id). */
  field: string;
}

/** One resource's commands, declared: what octaviaclient offers for it and what it prints. */
export interface ResourceSpec {
  kind: ResourceKind;
  noun: string;
  /** The positional naming the object (<loadbalancer>, <l7rule>, ...). */
  arg: string;
  /** For children addressed under a parent (members under a pool): the parent positional, first. */
  parent?: { kind: ResourceKind; name: string; help: string };
  /** Fields of show/create/set output, and columns of list output, in octaviaclient's order. */
  rows: readonly string[];
  columns: readonly string[];
  formatters: Record<string, Formatter>;
  tags: boolean;
  /** Whether create/set/delete offer --wait (admin objects without provisioning status do not). */
  waits: boolean;
  create?: { owner?: PositionalRef; options: FieldOption[]; check?: (body: Record<string, unknown>) => void };
  list?: { options: FieldOption[]; columnsLong?: readonly string[] };
  set?: { options: FieldOption[] };
  unset?: { flags: Array<[flag: string, field: string, help: string]> };
  delete?: { query?: FieldOption[] };
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** Add create/list/show/set/unset/delete for a resource to its command group. */
export function addResourceCommands(group: Command, spec: ResourceSpec, runtime: ClientRuntime): void {
  if (spec.create) addCreate(group, spec, spec.create, runtime);
  if (spec.list) addList(group, spec, spec.list, runtime);
  addShow(group, spec, runtime);
  if (spec.set) addSet(group, spec, spec.set, runtime);
  if (spec.unset) addUnset(group, spec, spec.unset, runtime);
  if (spec.delete) addDelete(group, spec, spec.delete, runtime);
}

const argName = (spec: ResourceSpec) => spec.arg;

function addParentArg(cmd: Command, spec: ResourceSpec): void {
  if (spec.parent) cmd.argument(`<${spec.parent.name}>`, spec.parent.help);
}

function addWait(cmd: Command, spec: ResourceSpec): void {
  if (spec.waits) cmd.option('--wait', 'Wait for action to complete.');
}

/** The parent's ID (when the resource has one) and the remaining positionals. */
async function parentOf(ctx: ActionContext, spec: ResourceSpec): Promise<{ parentId?: string; rest: string[] }> {
  if (!spec.parent) return { rest: ctx.args };
  const parentId = await findId(await ctx.session(), spec.parent.kind, ctx.args[0]!);
  return { parentId, rest: ctx.args.slice(1) };
}

const itemPath = (spec: ResourceSpec, id: string, parentId?: string) =>
  `${spec.kind.collection(parentId)}/${encodeURIComponent(id)}`;

function waitTarget(session: Session, spec: ResourceSpec, id: string, parentId?: string) {
  return {
    client: session.loadBalancer,
    path: itemPath(spec, id, parentId),
    itemKey: spec.kind.itemKey,
    description: `${spec.kind.label} ${id}`,
  };
}

function addCreate(
  group: Command,
  spec: ResourceSpec,
  create: NonNullable<ResourceSpec['create']>,
  runtime: ClientRuntime,
): void {
  const cmd = leafCommand(group, 'create', `Create a ${spec.noun}`, runtime, 'show');
  addParentArg(cmd, spec);
  if (create.owner) cmd.argument(`<${create.owner.name}>`, create.owner.help);
  addFieldOptions(cmd, create.options);
  if (spec.tags) addCreateTagOptions(cmd, spec.noun);
  addWait(cmd, spec);
  onAction(cmd, runtime, async (ctx) => {
    const { parentId, rest } = await parentOf(ctx, spec);
    const body = await fieldValues(create.options, ctx.opts, ctx.session);
    if (create.owner) body[create.owner.field] = await findId(await ctx.session(), create.owner.kind, rest[0]!);
    if (spec.tags && ctx.opts.tag) body.tags = ctx.opts.tag;
    if (spec.tags && noTagGiven(ctx.opts)) body.tags = [];
    create.check?.(body);
    const session = await ctx.session();
    const answer = await session.loadBalancer.post<Record<string, any>>(spec.kind.collection(parentId), {
      [spec.kind.itemKey]: body,
    });
    let created = answer?.[spec.kind.itemKey] ?? {};
    if (ctx.opts.wait)
      created = await waitForActive(waitTarget(session, spec, String(created[spec.kind.primaryKey]), parentId), ctx.io);
    ctx.print(renderOne(spec.rows, cellsOf(created, spec.rows, spec.formatters), ctx.output()));
  });
}

function addList(
  group: Command,
  spec: ResourceSpec,
  list: NonNullable<ResourceSpec['list']>,
  runtime: ClientRuntime,
): void {
  const cmd = leafCommand(group, 'list', `List ${plural(spec.noun)}`, runtime, 'list');
  addParentArg(cmd, spec);
  addFieldOptions(cmd, list.options);
  if (list.columnsLong) cmd.option('--long', 'Show additional fields.');
  if (spec.tags) addTagFilterOptions(cmd, spec.noun);
  onAction(cmd, runtime, async (ctx) => {
    const { parentId } = await parentOf(ctx, spec);
    const query = (await fieldValues(list.options, ctx.opts, ctx.session)) as Record<string, string>;
    if (spec.tags) Object.assign(query, tagQuery(ctx.opts));
    const session = await ctx.session();
    const items = await session.loadBalancer.list<Record<string, unknown>>(
      spec.kind.collection(parentId),
      spec.kind.listKey,
      query,
    );
    const columns = ctx.opts.long && list.columnsLong ? list.columnsLong : spec.columns;
    ctx.print(
      renderList(
        columns,
        items.map((item) => cellsOf(item, columns, spec.formatters)),
        ctx.output(),
      ),
    );
  });
}

function addShow(group: Command, spec: ResourceSpec, runtime: ClientRuntime): void {
  const cmd = leafCommand(group, 'show', `Show the details of a single ${spec.noun}`, runtime, 'show');
  addParentArg(cmd, spec);
  cmd.argument(`<${argName(spec)}>`, `Name or UUID of the ${spec.noun}.`);
  onAction(cmd, runtime, async (ctx) => {
    const { parentId, rest } = await parentOf(ctx, spec);
    const found = await findObject(await ctx.session(), spec.kind, rest[0]!, parentId);
    ctx.print(renderOne(spec.rows, cellsOf(found, spec.rows, spec.formatters), ctx.output()));
  });
}

function addSet(
  group: Command,
  spec: ResourceSpec,
  set: NonNullable<ResourceSpec['set']>,
  runtime: ClientRuntime,
): void {
  const cmd = leafCommand(group, 'set', `Update a ${spec.noun}`, runtime, 'none');
  addParentArg(cmd, spec);
  cmd.argument(`<${argName(spec)}>`, `Name or UUID of the ${spec.noun} to update.`);
  addFieldOptions(cmd, set.options);
  if (spec.tags) {
    cmd.addOption(
      new Option('--tag <tag>', `Tag to be added to the ${spec.noun} (repeat option to set multiple tags).`).argParser(
        collect,
      ),
    );
    cmd.addOption(
      noTagOption(
        `Clear tags associated with the ${spec.noun}. Specify both --tag and --no-tag to overwrite current tags.`,
      ),
    );
  }
  addWait(cmd, spec);
  onAction(cmd, runtime, async (ctx) => {
    const { parentId, rest } = await parentOf(ctx, spec);
    const session = await ctx.session();
    const current = await findObject(session, spec.kind, rest[0]!, parentId);
    const id = String(current[spec.kind.primaryKey]);
    const body = await fieldValues(set.options, ctx.opts, ctx.session);
    if (spec.tags && (ctx.opts.tag || noTagGiven(ctx.opts))) {
      const kept: string[] = noTagGiven(ctx.opts) ? [] : ((current.tags as string[] | undefined) ?? []);
      body.tags = [...new Set([...kept, ...((ctx.opts.tag as string[] | undefined) ?? [])])];
    }
    await update(ctx, session, spec, id, parentId, body);
  });
}

function addUnset(
  group: Command,
  spec: ResourceSpec,
  unset: NonNullable<ResourceSpec['unset']>,
  runtime: ClientRuntime,
): void {
  const cmd = leafCommand(group, 'unset', `Clear ${spec.noun} settings`, runtime, 'none');
  addParentArg(cmd, spec);
  cmd.argument(`<${argName(spec)}>`, `Name or UUID of the ${spec.noun} to update.`);
  for (const [flag, , help] of unset.flags) cmd.option(flag, help);
  if (spec.tags) {
    cmd.addOption(
      new Option(
        '--tag <tag>',
        `Tag to be removed from the ${spec.noun} (repeat option to remove multiple tags).`,
      ).argParser(collect),
    );
    cmd.option('--all-tag', `Clear all tags associated with the ${spec.noun}.`);
  }
  addWait(cmd, spec);
  onAction(cmd, runtime, async (ctx) => {
    const { parentId, rest } = await parentOf(ctx, spec);
    const body: Record<string, unknown> = {};
    for (const [flag, field] of unset.flags) if (ctx.opts[new Option(flag).attributeName()]) body[field] = null;
    const wantsTags = spec.tags && (ctx.opts.tag || ctx.opts.allTag);
    // Nothing to clear: like octaviaclient, no request at all.
    if (Object.keys(body).length === 0 && !wantsTags) return;
    const session = await ctx.session();
    const current = await findObject(session, spec.kind, rest[0]!, parentId);
    if (wantsTags) {
      const drop = new Set((ctx.opts.tag as string[] | undefined) ?? []);
      body.tags = ctx.opts.allTag ? [] : ((current.tags as string[] | undefined) ?? []).filter((t) => !drop.has(t));
    }
    await update(ctx, session, spec, String(current[spec.kind.primaryKey]), parentId, body);
  });
}

async function update(
  ctx: ActionContext,
  session: Session,
  spec: ResourceSpec,
  id: string,
  parentId: string | undefined,
  body: Record<string, unknown>,
): Promise<void> {
  await session.loadBalancer.put(itemPath(spec, id, parentId), { [spec.kind.itemKey]: body });
  if (ctx.opts.wait) await waitForActive(waitTarget(session, spec, id, parentId), ctx.io);
}

function addDelete(
  group: Command,
  spec: ResourceSpec,
  del: NonNullable<ResourceSpec['delete']>,
  runtime: ClientRuntime,
): void {
  const cmd = leafCommand(group, 'delete', `Delete a ${spec.noun}`, runtime, 'none');
  addParentArg(cmd, spec);
  cmd.argument(`<${argName(spec)}>`, `${capitalised(spec.noun)} to delete (name or ID).`);
  addFieldOptions(cmd, del.query ?? []);
  addWait(cmd, spec);
  onAction(cmd, runtime, async (ctx) => {
    const { parentId, rest } = await parentOf(ctx, spec);
    const session = await ctx.session();
    const id = await findId(session, spec.kind, rest[0]!, parentId);
    const query = (await fieldValues(del.query ?? [], ctx.opts, ctx.session)) as Record<string, string>;
    await session.loadBalancer.delete(
      itemPath(spec, id, parentId),
      anyGiven(del.query ?? [], ctx.opts) ? query : undefined,
    );
    if (ctx.opts.wait) await waitForDelete(waitTarget(session, spec, id, parentId), ctx.io);
  });
}

/**
 * `--no-tag` beside `--tag`: commander would read it as the negation of --tag (dropping the tags given with
 * it), so it gets an attribute of its own; commander stores false there when the flag is given.
 */
function noTagOption(help: string): Option {
  const option = new Option('--no-tag', help);
  option.attributeName = () => 'noTag';
  return option;
}

const noTagGiven = (opts: Record<string, unknown>) => opts.noTag !== undefined;

function addCreateTagOptions(cmd: Command, noun: string): void {
  cmd.addOption(
    new Option('--tag <tag>', `Tag to be added to the ${noun} (repeat option to set multiple tags).`).argParser(
      collect,
    ),
  );
  cmd.addOption(noTagOption(`No tags associated with the ${noun}.`));
}

function addTagFilterOptions(cmd: Command, noun: string): void {
  const many = plural(noun);
  cmd
    .option('--tags <tag>[,<tag>,...]', `List ${many} which have all given tag(s) (comma-separated list of tags).`)
    .option('--any-tags <tag>[,<tag>,...]', `List ${many} which have any given tag(s) (comma-separated list of tags).`)
    .option(
      '--not-tags <tag>[,<tag>,...]',
      `Exclude ${many} which have all given tag(s) (comma-separated list of tags).`,
    )
    .option(
      '--not-any-tags <tag>[,<tag>,...]',
      `Exclude ${many} which have any given tag(s) (comma-separated list of tags).`,
    );
}

function tagQuery(opts: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const pairs: Array<[string, string]> = [
    ['tags', 'tags'],
    ['anyTags', 'tags-any'],
    ['notTags', 'not-tags'],
    ['notAnyTags', 'not-tags-any'],
  ];
  for (const [attr, key] of pairs) if (typeof opts[attr] === 'string') out[key] = opts[attr] as string;
  return out;
}

export const plural = (noun: string) => (noun.endsWith('y') ? `${noun.slice(0, -1)}ies` : `${noun}s`);
const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
