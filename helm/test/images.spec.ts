import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, freePort, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmTemplate, ROOT, VALUE_SETS } from './support/kube-render';
import { podTemplates } from './support/pod-policy';

type Json = Record<string, unknown>;

interface Stage {
  name: string;
  from: string;
  instructions: { op: string; args: string }[];
}

/** Parses a Dockerfile into stages (line continuations joined, comments dropped) and its global ARG defaults. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const [, from = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      stages.push({ name, from, instructions: [] });
    } else if (stages.length === 0) {
      if (upper === 'ARG') {
        const [name = '', value = ''] = rest.split(/=(.*)/s);
        args[name] = value;
      }
    } else {
      stages.at(-1)!.instructions.push({ op: upper, args: rest });
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const stage = (name: string): Stage => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`Dockerfile has no stage ${name}`);
  return found;
};
const execForm = (s: Stage, op: 'ENTRYPOINT' | 'CMD'): string[] => {
  const found = s.instructions.filter((i) => i.op === op).at(-1);
  if (!found) throw new Error(`stage ${s.name} has no ${op}`);
  return JSON.parse(found.args) as string[];
};
/** Where a path inside the image (/app/...) is in this checkout. */
const inCheckout = (imagePath: string): string => join(ROOT, imagePath.replace(/^\/app\//, ''));
const FINAL_STAGES = ['lemur', 'sandbox-runner'];

/** COPY sources of the `app` stage that come from the build context (not from another stage). */
const contextCopies = stage('app')
  .instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
  .flatMap((i) => i.args.split(/\s+/).slice(0, -1));

/** True when the image's /app holds this repository file: copied from the context, and not excluded by .dockerignore. */
function shippedInImage(path: string): boolean {
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((pattern) => new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*\*\//g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '(.*/)?')}(/.*)?$`));
  const copied = contextCopies.some((src) => path === src || path.startsWith(`${src.replace(/\/$/, '')}/`));
  return copied && !ignore.some((re) => re.test(path));
}

/** The files the chart's containers run: every `args[0]` of every rendered pod, over all value sets. */
// The entry points of every container that runs the platform image (MariaDB runs its own image, with server flags).
const runsPlatformImage = (c: Json) => String(c['image']).startsWith('ghcr.io/lemur-platform/lemur:') || String(c['image']).startsWith('registry.example.com/lemur/lemur@');
const chartEntryPoints = [
  ...new Set(
    Object.values(VALUE_SETS).flatMap((files) =>
      podTemplates(helmTemplate(files, ['vllmSim.enabled=true'])).flatMap((p) => ((p.spec['containers'] as Json[]) ?? []).filter(runsPlatformImage).map((c) => String((c['args'] as string[])[0]))),
    ),
  ),
];

describe('Dockerfile', () => {
  it('pins its base image by digest and builds every stage from it or from an earlier stage', () => {
    expect(dockerfile.args['NODE_IMAGE']).toMatch(/^docker\.io\/library\/node:20-bookworm-slim@sha256:[a-f0-9]{64}$/);
    const names = new Set<string>();
    for (const s of dockerfile.stages) {
      expect(s.from === '${NODE_IMAGE}' || names.has(s.from), `FROM ${s.from}`).toBe(true);
      names.add(s.name);
    }
    expect([...names]).toEqual(expect.arrayContaining(['build', 'app', ...FINAL_STAGES]));
  });

  it('runs as a non-root user, with no HEALTHCHECK, and no dev dependencies in the runtime image', () => {
    const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(text).not.toMatch(/^\s*HEALTHCHECK/im);
    for (const name of FINAL_STAGES) {
      const user = stage(name).instructions.filter((i) => i.op === 'USER').at(-1)?.args ?? 'root';
      const uid = Number(user.split(':')[0]);
      expect(Number.isInteger(uid) && uid > 0, `${name} USER ${user}`).toBe(true);
    }
    const build = stage('build').instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    expect(build).toMatch(/npm prune --omit=dev/);
    // The runtime loader must survive the prune: it has to be a production dependency.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['tsx', 'pg', '@prisma/schema-engine-wasm', '@prisma/adapter-pg']));
  });

  it('starts every service through an entry point whose files exist and are copied into the image', () => {
    for (const name of FINAL_STAGES) {
      const entrypoint = execForm(stage(name), 'ENTRYPOINT');
      expect(entrypoint.slice(0, 2)).toEqual(['node', '--import']);
      expect(existsSync(inCheckout(entrypoint[2]!)), entrypoint[2]).toBe(true);
      const cmd = execForm(stage(name), 'CMD');
      expect(existsSync(inCheckout(cmd[0]!)) && shippedInImage(cmd[0]!), cmd[0]).toBe(true);
    }
    expect(chartEntryPoints.sort()).toEqual(['apps/eval/src/main.ts', 'apps/gateway/src/main.ts', 'apps/inference/src/main.ts', 'apps/sandbox/src/main.ts', 'apps/vllm-sim/src/main.ts', 'scripts/migrate.ts']);
    for (const file of chartEntryPoints) expect(existsSync(join(ROOT, file)) && shippedInImage(file), file).toBe(true);
    // What tsx needs to resolve the @lemur/* aliases at run time.
    for (const file of ['tsconfig.json', 'tsconfig.base.json', 'package.json']) expect(contextCopies.join(' '), file).toContain(file);
    expect(contextCopies).toEqual(expect.arrayContaining(['prisma', 'apps']));
    expect(shippedInImage('apps/gateway/src/gateway.app.spec.ts')).toBe(false);
  });

  it('gives the sandbox runner the interpreters and Python libraries the benchmarks need, all in Debian 12', () => {
    const install = stage('sandbox-runner').instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ');
    const packages = ['python3', 'python3-numpy', 'python3-scipy', 'python3-sympy', 'python3-pandas', 'python3-sklearn', 'python3-matplotlib', 'bash', 'sqlite3'];
    for (const p of packages) expect(install).toMatch(new RegExp(`\\s${p}(\\s|$)`));
    const env = stage('sandbox-runner').instructions.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    expect(env).toContain('SANDBOX_MODE=runner');
    // This machine runs Debian 12 too: where apt has its package lists, it must know each package (a typo would fail
    // the image build).
    const listsDir = '/var/lib/apt/lists';
    const haveLists = existsSync(listsDir) && readdirSync(listsDir).some((f) => f.endsWith('_Packages'));
    const policy = spawnSync('apt-cache', ['policy', ...packages], { encoding: 'utf8' });
    if (haveLists && policy.status === 0) {
      for (const p of packages) expect(policy.stdout, p).toMatch(new RegExp(`^${p}:\\n\\s+Installed: .*\\n\\s+Candidate: (?!\\(none\\))`, 'm'));
    }
  });
});

describe('entry points start', () => {
  const entrypoint = execForm(stage('lemur'), 'ENTRYPOINT');
  const env = stage('lemur').instructions.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
  const imageEnv = Object.fromEntries([...env.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!.replace(/^\/app\//, `${ROOT}/`)]));
  /** The image's command line for these args, with /app mapped to this checkout. */
  const command = (args: string[]): [string, string[]] => [process.execPath, [...entrypoint.slice(1).map((a) => (a.startsWith('/app/') ? inCheckout(a) : a)), ...args]];
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('the migrate command applies every migration to an empty database, then nothing on a second run', () => {
    const [node, args] = command(['scripts/migrate.ts']);
    const run = () => spawnSync(node, args, { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env['PATH'], ...imageEnv, DATABASE_URL: db.url }, timeout: 120_000 });
    const first = run();
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const expected = readdirSync(join(ROOT, 'prisma/migrations'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect((JSON.parse(first.stdout) as { applied: string[] }).applied).toEqual(expected);
    const second = run();
    expect(second.status).toBe(0);
    expect((JSON.parse(second.stdout) as { applied: string[] }).applied).toEqual([]);
  });

  it('the migrate command says what to do without a database', () => {
    const [node, args] = command(['scripts/migrate.ts']);
    const result = spawnSync(node, args, { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env['PATH'], ...imageEnv } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('set DATABASE_URL or pass --database-url');
  });

  it('the vllm-sim Deployment, as the chart configures it, starts and answers its probe path', async () => {
    const sim = podTemplates(helmTemplate(VALUE_SETS['simulator']!)).find((p) => p.labels['app.kubernetes.io/component'] === 'vllm-sim')!;
    const container = (sim.spec['containers'] as Json[])[0]!;
    const port = await freePort();
    const chartEnv = Object.fromEntries((container['env'] as Json[]).map((e) => [String(e['name']), String(e['value'])]));
    const [node, args] = command(container['args'] as string[]);
    const child = spawn(node, args, { cwd: ROOT, env: { PATH: process.env['PATH'], ...imageEnv, ...chartEnv, VLLM_SIM_HOST: '127.0.0.1', VLLM_SIM_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const probe = (container['readinessProbe'] as { httpGet: { path: string } }).httpGet.path;
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}${probe}`).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
      expect(chartEnv['VLLM_SIM_HOST']).toBe('0.0.0.0');
      const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toEqual(['lemur-sim']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
