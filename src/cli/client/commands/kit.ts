import { Command } from 'commander';
import { addAuthOptions, readAuthSettings } from '../auth/auth-settings.js';
import { openSession, type Session } from '../auth/session.js';
import { addListOutputOptions, addShowOutputOptions, outputOptionsFrom } from '../output/output-options.js';
import type { OutputOptions } from '../output/formats.js';
import { CliError, EXIT_CODES_HELP, EXIT_FAILURE, type ClientIo, type ClientRuntime } from '../runtime.js';

/** What a command's action gets: its arguments, its flags, the session (opened on first use), output. */
export interface ActionContext {
  args: string[];
  opts: Record<string, unknown>;
  io: ClientIo;
  session(): Promise<Session>;
  output(): OutputOptions;
  print(text: string): void;
}

/** Route a command's output and parser exits through the runtime. */
export function configureCommand(cmd: Command, runtime: ClientRuntime): Command {
  return cmd
    .configureOutput({
      writeOut: (s) => void runtime.io.stdout.write(s),
      writeErr: (s) => void runtime.io.stderr.write(s),
    })
    .exitOverride((err) => runtime.onParserExit(err))
    .showSuggestionAfterError(true);
}

/** A command that only holds subcommands (`loadbalancer listener`, `loadbalancer stats`). */
export function commandGroup(parent: Command, name: string, description: string, runtime: ClientRuntime): Command {
  const cmd = configureCommand(new Command(name), runtime).description(description);
  cmd.addHelpText('after', EXIT_CODES_HELP);
  parent.addCommand(cmd);
  return cmd;
}

export type OutputKind = 'list' | 'show' | 'none';

/** A command that does something: auth flags, the output flags its kind prints with, the exit codes. */
export function leafCommand(
  parent: Command,
  name: string,
  description: string,
  runtime: ClientRuntime,
  output: OutputKind,
): Command {
  const cmd = configureCommand(new Command(name), runtime).description(description);
  if (output === 'list') addListOutputOptions(cmd);
  if (output === 'show') addShowOutputOptions(cmd);
  addAuthOptions(cmd);
  cmd.addHelpText(
    'after',
    `${EXIT_CODES_HELP}\n\nAuthentication: OS_* variables or --os-* flags, see 'tavia loadbalancer --help'.`,
  );
  parent.addCommand(cmd);
  return cmd;
}

/** Attach the action: errors print their message on stderr and set the exit code. */
export function onAction(cmd: Command, runtime: ClientRuntime, body: (ctx: ActionContext) => Promise<void>): Command {
  return cmd.action(async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const opts = command.opts() as Record<string, unknown>;
    let session: Promise<Session> | undefined;
    const ctx: ActionContext = {
      args: command.args.slice(0, command.registeredArguments.length),
      opts,
      io: runtime.io,
      session: () => (session ??= openSession(readAuthSettings(opts, runtime.io.env))),
      output: () => outputOptionsFrom(opts),
      print: (text) => void runtime.io.stdout.write(text),
    };
    try {
      await body(ctx);
    } catch (err) {
      if (err instanceof CliError) {
        runtime.io.stderr.write(`${err.message}\n`);
        runtime.fail(err.exitCode);
      } else {
        runtime.io.stderr.write(`Unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
        runtime.fail(EXIT_FAILURE);
      }
    }
  });
}
