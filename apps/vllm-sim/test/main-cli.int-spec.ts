import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from './sim-http';

const MAIN = resolve(__dirname, '../src/main.ts');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vllm-sim-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function launch(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return line;
}

describe('main', () => {
  it('prints one JSON line with the URL, serves it, and stops on SIGTERM', async () => {
    const rules = join(dir, 'rules.jsonl');
    await writeFile(rules, '{"match":"ping","completion":"pong"}\n');
    const child = launch(['--port', '0', '--fast', '--model', 'sim=scripted:' + rules, '--model', 'echo=echo']);
    try {
      const log = JSON.parse(await firstLine(child)) as { url: string; models: string[]; msg: string };
      expect(log.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(log.models).toEqual(['sim', 'echo']);
      const { body } = await postJson(`${log.url}/v1/completions`, { model: 'sim', prompt: 'ping?' });
      expect(body.choices[0]?.text).toBe('pong');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('refuses to start on a bad rules file, naming the line', async () => {
    const rules = join(dir, 'bad.jsonl');
    await writeFile(rules, '{"match":"a","completion":"b"}\n\n{"match": 1, "completion": "c"}\n');
    const child = launch(['--port', '0', '--model', `sim=scripted:${rules}`]);
    const line = await firstLine(child);
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(line).toContain(`${rules}:3:`);
  });

  it('exits 2 with advice on a bad flag', async () => {
    const child = launch(['--model', 'sim=nonsense']);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain('use one of echo, scripted, oracle, wrong');
  });
});
