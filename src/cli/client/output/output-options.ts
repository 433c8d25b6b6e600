import { Option, type Command } from 'commander';
import { LIST_FORMATS, SHOW_FORMATS, type OutputOptions } from './formats.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** cliff's Lister output flags. */
export function addListOutputOptions(cmd: Command): void {
  cmd
    .addOption(new Option('-f, --format <format>', 'the output format').choices(LIST_FORMATS).default('table'))
    .addOption(
      new Option('-c, --column <column>', 'specify the column(s) to include, can be repeated').argParser(collect),
    )
    .option('--noindent', 'whether to disable indenting the JSON')
    .option('--print-empty', 'print an empty table if there is no data to show')
    .addOption(
      new Option('--quote <quote_mode>', 'when to include quotes (csv), defaults to nonnumeric')
        .choices(['all', 'minimal', 'none', 'nonnumeric'])
        .default('nonnumeric'),
    )
    .addOption(new Option('--sort-column <sort_column>', 'sort by these columns, can be repeated').argParser(collect))
    .addOption(new Option('--sort-ascending', 'sort the columns in ascending order').conflicts('sortDescending'))
    .option('--sort-descending', 'sort the columns in descending order');
}

/** cliff's ShowOne output flags. */
export function addShowOutputOptions(cmd: Command): void {
  cmd
    .addOption(new Option('-f, --format <format>', 'the output format').choices(SHOW_FORMATS).default('table'))
    .addOption(
      new Option('-c, --column <column>', 'specify the column(s) to include, can be repeated').argParser(collect),
    )
    .option('--noindent', 'whether to disable indenting the JSON')
    .option('--prefix <prefix>', 'add a prefix to all variable names (shell format)', '');
}

export function outputOptionsFrom(opts: Record<string, unknown>): OutputOptions {
  return {
    format: (opts.format as string | undefined) ?? 'table',
    columns: (opts.column as string[] | undefined) ?? [],
    noindent: Boolean(opts.noindent),
    printEmpty: Boolean(opts.printEmpty),
    quote: (opts.quote as OutputOptions['quote'] | undefined) ?? 'nonnumeric',
    prefix: (opts.prefix as string | undefined) ?? '',
    sortColumns: (opts.sortColumn as string[] | undefined) ?? [],
    sortDescending: Boolean(opts.sortDescending),
  };
}
