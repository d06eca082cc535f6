import { Command, Option } from 'commander';
import { GatewayError, type CreateRunBody, type RunJson } from './api/gateway-client';
import { loadCliEnvironment } from './config/cli.config';
import { LocalPlatform } from './local/local-platform';
import { parseSimModel } from './models/sim-models';
import { openSession, type PlatformSession } from './platform-session';
import { followRuns } from './runs/follow-runs';
import { resultsTable, runResultJson } from './runs/results-table';
import { intOption, numberOption } from './runs/run-options';

const env = loadCliEnvironment();
const log = (message: string) => process.stderr.write(`lemur: ${message}\n`);

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
    const platform = await LocalPlatform.start({ env, gatewayPort: opts.port, workers: opts.workers, log });
    log(`gateway: ${platform.gatewayUrl}   (OpenAPI at ${platform.gatewayUrl}/openapi.json)`);
    log(`try: LEMUR_SERVER=${platform.gatewayUrl} ./bin/lemur run --model sim:oracle --benchmark gsm8k --limit 50`);
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
  .description('Evaluate a model on a benchmark and follow it with a progress bar')
  .requiredOption('--model <name>', 'model: a registry name, sim:oracle, sim:wrong, sim:echo or sim:scripted=FILE')
  .requiredOption('--benchmark <name>', 'benchmark, e.g. humaneval, gsm8k (or name@version)')
  .option('--limit <n>', 'evaluate the first N items (0 = all)', intOption('--limit', 0), 0)
  .option('--samples <n>', 'completions per item (n of pass@k)', intOption('--samples', 1, 200), 1)
  .option('--concurrency <n>', 'samples in flight at once', intOption('--concurrency', 1, 1024))
  .option('--temperature <t>', 'sampling temperature', numberOption('--temperature', 0, 2))
  .option('--max-tokens <n>', 'completion token limit', intOption('--max-tokens', 1, 32768))
  .option('--seed <n>', 'sampling seed', intOption('--seed', 0))
  .option('--chat', 'use the chat API instead of the completion API')
  .option('--json', 'print one JSON object: run id, model, benchmark, metrics with CIs, samples, errors')
  .option('--no-wait', 'create the run and print its id without following it')
  .addOption(new Option('--server <url>', 'gateway URL (default: LEMUR_SERVER, else a local platform)'))
  .addHelpText(
    'after',
    '\nExamples:\n  $ lemur run --model sim:oracle --benchmark humaneval\n  $ lemur run --model lemur-70b-chat --benchmark gsm8k --chat --concurrency 64 --json',
  )
  .action(
    async (opts: {
      model: string;
      benchmark: string;
      limit: number;
      samples: number;
      concurrency?: number;
      temperature?: number;
      maxTokens?: number;
      seed?: number;
      chat?: boolean;
      json?: boolean;
      wait: boolean;
      server?: string;
    }) => {
      const sim = parseSimModel(opts.model, env.cwd);
      const session = await openSession({
        env,
        ...(opts.server ? { server: opts.server } : {}),
        ...(sim?.mode === 'scripted' ? { simModels: [sim] } : {}),
        log,
      });
      const body: CreateRunBody = {
        model: opts.model,
        benchmark: opts.benchmark,
        limit: opts.limit,
        samples: opts.samples,
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
        ...(opts.maxTokens !== undefined ? { maxTokens: opts.maxTokens } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.chat ? { chat: true } : {}),
      };
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

const runs = program.command('runs').description('List, show and cancel runs on a running platform');
runs
  .command('list')
  .description('List runs, newest first')
  .option('--limit <n>', 'how many', intOption('--limit', 1, 500), 20)
  .option('--json', 'print JSON')
  .option('--server <url>', 'gateway URL (default: LEMUR_SERVER or http://127.0.0.1:8080)')
  .action(async (opts: { limit: number; json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? env.server ?? 'http://127.0.0.1:8080', log });
    const { runs: list } = await session.client.listRuns(opts.limit);
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
  .description('Show one run with its results')
  .option('--json', 'print JSON')
  .option('--server <url>', 'gateway URL (default: LEMUR_SERVER or http://127.0.0.1:8080)')
  .action(async (id: string, opts: { json?: boolean; server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? env.server ?? 'http://127.0.0.1:8080', log });
    printRuns([await session.client.getRun(id)], Boolean(opts.json));
  });
runs
  .command('cancel <id>')
  .description('Cancel a run: pending samples are dropped, finished ones kept')
  .option('--server <url>', 'gateway URL (default: LEMUR_SERVER or http://127.0.0.1:8080)')
  .action(async (id: string, opts: { server?: string }) => {
    const session = await openSession({ env, server: opts.server ?? env.server ?? 'http://127.0.0.1:8080', log });
    const run = await session.client.cancelRun(id);
    process.stdout.write(`run ${run.id}: ${run.status}\n`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof GatewayError) {
    log(`error: ${err.message}${err.field ? ` (field: ${err.field})` : ''}`);
    process.exit(2);
  }
  log(`error: ${(err as Error).message}`);
  process.exit(1);
});
