import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import type { TaviaConfig } from '../../src/common/config.js';
import { registerIdentityCommands } from '../../src/identity/cli-commands.js';
import { createLocalTokenValidator } from '../../src/identity/local-token-validator.js';
import { issueToken, TestIdentity } from '../helpers/identity.js';

describe('identity: tavia user|project|role commands', () => {
  let id: TestIdentity;
  before(async () => {
    id = await TestIdentity.start();
  });
  after(() => id.stop());

  /** Run one command as `tavia ...` would, on the test service's database; returns what it printed. */
  async function tavia(...args: string[]): Promise<string> {
    let printed = '';
    const program = new Command().exitOverride();
    const loadConfig = (opts: { dataDir?: string; databaseUrl?: string }): TaviaConfig => {
      assert.equal(opts.databaseUrl, id.config.database.url, 'the --database-url option reaches loadConfig');
      return { ...id.config, database: { url: opts.databaseUrl! }, dataDir: opts.dataDir ?? id.config.dataDir };
    };
    registerIdentityCommands(program, loadConfig, (text) => (printed += text));
    await program.parseAsync([...args, '--data-dir', id.dataDir, '--database-url', id.config.database.url], {
      from: 'user',
    });
    return printed;
  }

  it('creates a project and a user with a role there; the user can then get a token', async () => {
    const project = JSON.parse(
      await tavia('project', 'create', 'cli-project', '--description', 'made by cli', '-f', 'json'),
    );
    assert.equal(project.name, 'cli-project');
    assert.equal(project.description, 'made by cli');
    const user = JSON.parse(
      await tavia(
        'user',
        'create',
        'erin',
        '--password',
        'erin-pw',
        '--project',
        'cli-project',
        '--role',
        'member',
        '--role',
        'load-balancer_member',
        '-f',
        'json',
      ),
    );
    assert.equal(user.name, 'erin');
    assert.equal(user.default_project_id, project.id);
    assert.equal(JSON.stringify(user).includes('erin-pw'), false);
    const token = await issueToken(id.url, 'erin', 'erin-pw', 'cli-project');
    assert.deepEqual(token.body.token.roles.map((r: any) => r.name).sort(), [
      'load-balancer_member',
      'member',
      'reader',
    ]);

    const table = await tavia('role', 'assignment', 'list', '--user', 'erin');
    assert.match(table, /\| role +\| user +\| project +\|/);
    assert.match(table, /\| member +\| erin +\| cli-project +\|/);
    const value = await tavia('role', 'assignment', 'list', '--project', 'cli-project', '-f', 'value');
    assert.equal(value, 'load-balancer_member erin cli-project\nmember erin cli-project\n');
  });

  it('lists users and projects in every format', async () => {
    assert.deepEqual(
      (await tavia('user', 'list', '-f', 'value'))
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[1]),
      ['admin', 'demo', 'erin'],
    );
    const projects = JSON.parse(await tavia('project', 'list', '-f', 'json'));
    assert.deepEqual(
      projects.map((p: any) => p.name),
      ['admin', 'cli-project', 'demo', 'service'],
    );
    assert.match(await tavia('project', 'list'), /^\+-+\+/);
    await assert.rejects(tavia('project', 'list', '-f', 'yaml'), /unknown format/);
  });

  it('adds and removes a role; removing the last one ends the token', async () => {
    await tavia('role', 'add', '--user', 'erin', '--project', 'demo', 'reader');
    const token = await issueToken(id.url, 'erin', 'erin-pw', 'demo');
    const validator = createLocalTokenValidator(id.db);
    assert.deepEqual((await validator.validate(token.token))?.roles, ['reader']);
    await tavia('role', 'remove', '--user', 'erin', '--project', 'demo', 'reader');
    assert.equal(await createLocalTokenValidator(id.db).validate(token.token), undefined);
    await assert.rejects(
      tavia('role', 'remove', '--user', 'erin', '--project', 'demo', 'reader'),
      /Could not find role assignment/,
    );
    await assert.rejects(tavia('role', 'add', '--user', 'nobody', '--project', 'demo', 'reader'), /no user nobody/);
  });

  it('sets a password (ending old tokens), and deletes users and projects', async () => {
    const before = await issueToken(id.url, 'erin', 'erin-pw', 'cli-project');
    await tavia('user', 'set', 'erin', '--password', 'erin-pw-2');
    assert.equal(await createLocalTokenValidator(id.db).validate(before.token), undefined);
    await assert.rejects(issueToken(id.url, 'erin', 'erin-pw', 'cli-project'), /401/);
    const after = await issueToken(id.url, 'erin', 'erin-pw-2', 'cli-project');
    await assert.rejects(tavia('user', 'create', 'erin', '--password', 'x'), /Conflict/);
    await tavia('project', 'delete', 'cli-project');
    assert.equal(await createLocalTokenValidator(id.db).validate(after.token), undefined);
    await tavia('user', 'delete', 'erin');
    assert.equal((await tavia('user', 'list', '-f', 'value')).includes('erin'), false);
    await assert.rejects(tavia('user', 'delete', 'erin'), /no user erin/);
  });
});
