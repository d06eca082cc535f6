import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetResolver, INTERCODE_BASH_SCRATCH_DIRS, INTERCODE_SQL_DATASET, listBenchmarks } from '@lemur/benchmarks';
import {
  applyMigrations,
  ensureDatabase,
  findMariadbBinaries,
  redactDatabaseUrl,
  startEmbeddedMariadb,
  startEmbeddedPostgres,
  withDatabaseName,
} from '@lemur/shared-database';
import type { CliEnvironment } from '../config/cli.config';
import { localAdminKeyFile } from '../config/credentials';
import { BUILTIN_SIM_MODELS, simFlag, type SimModel } from '../models/sim-models';
import { freePort } from '@lemur/shared-config';
import { ServiceProcess } from './service-process';

const EMBEDDED_PG_PORT = 54329;
/** InterCode-SQL's MySQL dump, which the sandbox loads into its MariaDB. */
const SPIDER_DUMP_FILE = INTERCODE_SQL_DATASET.files.find((f) => f.file.endsWith('.sql'))!.file;

/** How to start the local platform. */
export interface LocalPlatformOptions {
  env: CliEnvironment;
  /** Gateway port; 0 picks a free one. */
  gatewayPort: number;
  /** Simulator models beyond the built-in ones (e.g. sim:scripted=FILE). */
  extraSimModels?: SimModel[];
  /** Simulator latency: realistic (default) or none. */
  simFast?: boolean;
  /** Eval worker processes (default 1); the eval API process itself takes no samples. */
  workers?: number;
  workerConcurrency?: number;
  /**
   * Start a private MariaDB for InterCode-SQL when SANDBOX_MYSQL_URL names none (`lemur up`, and `lemur run` of
   * intercode-sql or a suite, do): loading its databases adds seconds to the start, which other runs need not pay.
   */
  mysql?: boolean;
  /** Where progress lines go. */
  log: (message: string) => void;
}

interface RegistryEntry {
  name: string;
  endpoints: string[];
  servedModelName?: string;
  chat?: boolean;
  apiKeyEnv?: string;
  kind?: 'openai' | 'sim';
}

/**
 * The whole platform on one machine: PostgreSQL (embedded unless DATABASE_URL is set), MariaDB for InterCode-SQL (a
 * private one unless SANDBOX_MYSQL_URL is set), vllm-sim in place of GPUs, and the inference, sandbox, eval and gateway
 * services as child processes, each logging to `.lemur/logs/`.
 */
export class LocalPlatform {
  private workersStarted = 0;
  /** Each service's Prometheus endpoint (`host:port`, path /metrics) by service name, for a scraper to target. */
  readonly metricsTargets = new Map<string, string>();

  private constructor(
    readonly gatewayUrl: string,
    /** Base URL of the simulator standing in for GPU replicas (for benchmarks that compare against it). */
    readonly simUrl: string,
    readonly databaseUrl: string,
    /** The MySQL/MariaDB admin URL the sandbox runs InterCode-SQL against; undefined when there is none. */
    readonly sandboxMysqlUrl: string | undefined,
    /** The local team's admin key (bootstrapped by the gateway; also in {@link adminKeyFile}). */
    readonly apiKey: string,
    /** Where the admin key is kept between starts (mode 0600). */
    readonly adminKeyFile: string,
    readonly services: Map<string, ServiceProcess>,
    private readonly stopDatabase: () => Promise<void>,
    private readonly workerEnv: () => Record<string, string | undefined>,
    private readonly opts: LocalPlatformOptions,
  ) {}

  static async start(opts: LocalPlatformOptions): Promise<LocalPlatform> {
    const { env, log } = opts;
    const runDir = join(env.home, 'run');
    const logDir = join(env.home, 'logs');
    mkdirSync(runDir, { recursive: true });
    const services = new Map<string, ServiceProcess>();
    let stopPostgres: () => Promise<void> = async () => undefined;
    let stopMysql: () => Promise<void> = async () => undefined;
    const stopDatabase = async () => {
      await stopMysql();
      await stopPostgres();
    };
    try {
      // 1. Database.
      let databaseUrl: string;
      if (env.databaseUrl) {
        databaseUrl = env.databaseUrl;
        log(`database: ${redactDatabaseUrl(databaseUrl)} (DATABASE_URL)`);
      } else {
        const dataDir =
          process.getuid?.() === 0
            ? `/var/tmp/lemur-postgres-${createHash('sha256').update(env.home).digest('hex').slice(0, 8)}`
            : join(env.home, 'postgres');
        log(`database: starting embedded PostgreSQL (data in ${dataDir})`);
        const pg = await startEmbeddedPostgres({ dataDir, port: EMBEDDED_PG_PORT });
        stopPostgres = pg.stop;
        databaseUrl = withDatabaseName(pg.url, 'lemur');
      }
      await ensureDatabase(databaseUrl);
      const applied = await applyMigrations(databaseUrl);
      log(`database: schema up to date${applied.length ? ` (applied ${applied.join(', ')})` : ''}`);

      // 2. Benchmark data: found (or downloaded and verified) once, so the simulator's oracle and the workers read the same files.
      const { dir: datasetsDir, paths: datasetPaths } = await resolveDatasets(env, log);

      // 3. MariaDB for InterCode-SQL: the user's server, else a private one for this platform's lifetime.
      let sandboxMysqlUrl = env.passthrough.SANDBOX_MYSQL_URL || undefined;
      if (sandboxMysqlUrl) {
        log(`sql: MySQL at ${redactDatabaseUrl(sandboxMysqlUrl)} (SANDBOX_MYSQL_URL)`);
      } else if (!opts.mysql) {
        log('sql: no MySQL server for intercode-sql (`lemur up` and runs of intercode-sql start one; or set SANDBOX_MYSQL_URL)');
      } else if (findMariadbBinaries()) {
        // InterCode's server runs with lower_case_table_names=1: Spider's golds name tables in any case.
        const mariadb = await startEmbeddedMariadb({ serverArgs: ['--lower-case-table-names=1'], dataDirPrefix: 'lemur-platform-mariadb' });
        stopMysql = mariadb.stop;
        sandboxMysqlUrl = mariadb.url;
        log(`sql: started a private MariaDB at ${mariadb.url} (data in ${mariadb.dataDir}, removed on stop)`);
      } else {
        log('sql: no mariadbd/mysqld installed, so intercode-sql will be skipped: install mariadb-server (`bash scripts/setup-mariadb.sh`) or set SANDBOX_MYSQL_URL');
      }
      const spiderDump = env.passthrough.SANDBOX_MYSQL_DUMP || datasetPaths.get(SPIDER_DUMP_FILE);

      // 4. Simulator and model registry.
      const simModels = [...BUILTIN_SIM_MODELS, ...(opts.extraSimModels ?? [])];
      const ports = {
        sim: await freePort(),
        inference: await freePort(),
        inferenceMetrics: await freePort(),
        sandbox: await freePort(),
        sandboxMetrics: await freePort(),
        eval: await freePort(),
        evalMetrics: await freePort(),
        gateway: opts.gatewayPort || (await freePort()),
      };
      // The services authenticate each other's gRPC calls with one token; a fresh one each start unless the user set one.
      const internalToken = env.passthrough.LEMUR_INTERNAL_TOKEN ?? randomBytes(32).toString('hex');
      const base: Record<string, string | undefined> = {
        ...env.passthrough,
        LOG_LEVEL: env.passthrough.LOG_LEVEL ?? 'info',
        LEMUR_INTERNAL_TOKEN: internalToken,
      };
      delete base.DATABASE_URL;
      const start = (name: string, entry: string, extra: Record<string, string | undefined>, args: string[] = []) => {
        const service = ServiceProcess.start({ name, repoRoot: env.repoRoot, entry, args, env: { ...base, ...extra }, logDir });
        services.set(name, service);
        return service;
      };
      const simUrl = `http://127.0.0.1:${ports.sim}`;
      const sim = start(
        'vllm-sim',
        'apps/vllm-sim/src/main.ts',
        { ...(datasetsDir ? { LEMUR_DATASETS_DIR: datasetsDir } : {}) },
        ['--port', String(ports.sim), ...simModels.flatMap((m) => ['--model', simFlag(m)]), ...(opts.simFast ? ['--fast'] : [])],
      );

      const registry: RegistryEntry[] = simModels.map((m) => ({
        name: m.name,
        servedModelName: m.served,
        endpoints: [simUrl],
        kind: 'sim',
      }));
      if (env.modelsFile) {
        const user = JSON.parse(readFileSync(env.modelsFile, 'utf8')) as { models?: RegistryEntry[] };
        registry.push(...(user.models ?? []));
        log(`models: ${user.models?.length ?? 0} from ${env.modelsFile}`);
      }
      const modelsFile = join(runDir, 'models.json');
      writeFileSync(modelsFile, `${JSON.stringify({ models: registry }, null, 2)}\n`);

      // 5. Services.
      const inference = start('inference', 'apps/inference/src/main.ts', {
        INFERENCE_GRPC_URL: `127.0.0.1:${ports.inference}`,
        INFERENCE_METRICS_PORT: String(ports.inferenceMetrics),
        LEMUR_MODELS_FILE: modelsFile,
        // The response cache lives in PostgreSQL so a resumed or repeated eval run does not pay twice.
        DATABASE_URL: databaseUrl,
      });
      const sandbox = start('sandbox', 'apps/sandbox/src/main.ts', {
        SANDBOX_GRPC_URL: `127.0.0.1:${ports.sandbox}`,
        SANDBOX_METRICS_PORT: String(ports.sandboxMetrics),
        // InterCode-Bash's file systems live outside the workspace, in a tmpfs of each sandbox's own.
        SANDBOX_SCRATCH_DIRS: INTERCODE_BASH_SCRATCH_DIRS.join(','),
        ...(sandboxMysqlUrl ? { SANDBOX_MYSQL_URL: sandboxMysqlUrl, ...(spiderDump ? { SANDBOX_MYSQL_DUMP: spiderDump } : {}) } : {}),
      });
      const workerEnv = () => ({
        LEMUR_INTERNAL_TOKEN: internalToken,
        DATABASE_URL: databaseUrl,
        INFERENCE_ADDR: `127.0.0.1:${ports.inference}`,
        SANDBOX_ADDR: `127.0.0.1:${ports.sandbox}`,
        ...(datasetsDir ? { LEMUR_DATASETS_DIR: datasetsDir } : {}),
        LEMUR_DATASETS_CACHE: join(env.home, 'datasets'),
        ...(opts.workerConcurrency ? { EVAL_WORKER_CONCURRENCY: String(opts.workerConcurrency) } : {}),
        // Everything of a local platform is on loopback, webhook receivers included: nothing there for the guard to protect.
        EVAL_WEBHOOK_ALLOW_PRIVATE: 'true',
      });
      const evalApi = start('eval', 'apps/eval/src/main.ts', {
        ...workerEnv(),
        EVAL_WORKERS: 'false',
        EVAL_GRPC_URL: `127.0.0.1:${ports.eval}`,
        EVAL_METRICS_PORT: String(ports.evalMetrics),
      });
      // The gateway makes sure the local team has an admin key and keeps it in this file (idempotent across starts).
      const adminKeyFile = localAdminKeyFile(env);
      const gateway = start('gateway', 'apps/gateway/src/main.ts', {
        GATEWAY_PORT: String(ports.gateway),
        EVAL_ADDR: `127.0.0.1:${ports.eval}`,
        INFERENCE_ADDR: `127.0.0.1:${ports.inference}`,
        DATABASE_URL: databaseUrl,
        GATEWAY_BOOTSTRAP_KEY_FILE: adminKeyFile,
        GATEWAY_BOOTSTRAP_TEAM: 'local',
      });
      await Promise.all([
        sim.waitReady(`${simUrl}/health`),
        inference.waitReady(`http://127.0.0.1:${ports.inferenceMetrics}/healthz`),
        sandbox.waitReady(`http://127.0.0.1:${ports.sandboxMetrics}/healthz`),
        evalApi.waitReady(`http://127.0.0.1:${ports.evalMetrics}/healthz`),
      ]);
      const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
      await gateway.waitReady(`${gatewayUrl}/health`);
      const apiKey = readFileSync(adminKeyFile, 'utf8').trim();
      const platform = new LocalPlatform(gatewayUrl, simUrl, databaseUrl, sandboxMysqlUrl, apiKey, adminKeyFile, services, stopDatabase, workerEnv, opts);
      for (const [name, port] of [
        ['vllm-sim', ports.sim],
        ['inference', ports.inferenceMetrics],
        ['sandbox', ports.sandboxMetrics],
        ['eval', ports.evalMetrics],
        ['gateway', ports.gateway],
      ] as const) {
        platform.metricsTargets.set(name, `127.0.0.1:${port}`);
      }
      await Promise.all(Array.from({ length: opts.workers ?? 1 }, () => platform.startWorker()));
      log(`platform: ready at ${gatewayUrl} (logs in ${logDir})`);
      log(`api key: team "local" admin key in ${adminKeyFile}; send it as \`Authorization: Bearer <key>\` (the CLI does)`);
      return platform;
    } catch (err) {
      await Promise.allSettled([...services.values()].map((s) => s.stop(2_000)));
      await stopDatabase();
      throw err;
    }
  }

  /** Starts one more eval worker process (no API), sharing the database queue. */
  async startWorker(): Promise<ServiceProcess> {
    const index = ++this.workersStarted;
    const metricsPort = await freePort();
    const worker = ServiceProcess.start({
      name: `eval-worker-${index}`,
      repoRoot: this.opts.env.repoRoot,
      entry: 'apps/eval/src/main.ts',
      env: { ...this.opts.env.passthrough, ...this.workerEnv(), EVAL_SERVE_API: 'false', EVAL_METRICS_PORT: String(metricsPort) },
      logDir: join(this.opts.env.home, 'logs'),
    });
    this.services.set(worker.name, worker);
    this.metricsTargets.set(worker.name, `127.0.0.1:${metricsPort}`);
    await worker.waitReady(`http://127.0.0.1:${metricsPort}/healthz`);
    return worker;
  }

  /** Stops the gateway first, then the workers (they finish their samples), then the rest and the databases. */
  async stop(): Promise<void> {
    const order = ['gateway', 'eval', ...[...this.services.keys()].filter((k) => k.startsWith('eval-worker')), 'inference', 'sandbox', 'vllm-sim'];
    for (const name of order) await this.services.get(name)?.stop();
    await this.stopDatabase();
  }
}

/**
 * Finds every registered benchmark's data (downloading into the cache when online); returns their folder when they share
 * one, and where each file was found.
 */
async function resolveDatasets(
  env: CliEnvironment,
  log: (message: string) => void,
): Promise<{ dir: string | undefined; paths: Map<string, string> }> {
  const resolver = new DatasetResolver({
    ...(env.datasetsDir ? { datasetsDir: env.datasetsDir } : {}),
    sharedDirs: [join(env.repoRoot, '../shared/datasets')],
    cacheDir: join(env.home, 'datasets'),
    online: true,
    onProgress: (p) => log(`downloading ${p.file}: ${(p.receivedBytes / 1e6).toFixed(1)} MB`),
  });
  const dirs = new Set<string>();
  const paths = new Map<string, string>();
  for (const benchmark of listBenchmarks()) {
    for (const file of benchmark.dataset.files) {
      const found = await resolver.resolve(file);
      paths.set(file.file, found.path);
      dirs.add(found.path.slice(0, found.path.length - file.file.length));
    }
    log(`data: ${benchmark.name} ${benchmark.dataset.name} (${benchmark.dataset.files.length} file(s), sha256 ok)`);
  }
  return { dir: dirs.size === 1 ? [...dirs][0] : env.datasetsDir, paths };
}

/** True when a Lemur gateway answers at `url`. */
export async function gatewayAlive(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok;
  } catch {
    return false;
  }
}

