import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const PROMTOOL = '/usr/bin/promtool';
const rulesDir = join(__dirname, '../../../helm/lemur/rules');
const execFileAsync = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'lemur-rules-'));

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(PROMTOOL, args, { cwd: rulesDir });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('helm/lemur/rules', () => {
  const rules = parse(readFileSync(join(rulesDir, 'lemur.rules.yaml'), 'utf8')) as RuleFile;
  const tests = parse(readFileSync(join(rulesDir, 'lemur.rules.test.yaml'), 'utf8')) as RuleTests;
  const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));

  it('pass promtool check rules', async () => {
    const { code, output } = await promtool('check', 'rules', 'lemur.rules.yaml');
    expect(code, output).toBe(0);
    expect(output).toContain(`SUCCESS: ${rules.groups.flatMap((g) => g.rules).length} rules found`);
  });

  it('pass their promtool unit tests', async () => {
    const { code, output } = await promtool('test', 'rules', 'lemur.rules.test.yaml');
    expect(code, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  it('test every alert both firing and not firing', () => {
    expect(alerts).toEqual(
      expect.arrayContaining([
        'LemurModelUnavailable',
        'LemurModelReplicaUnavailable',
        'LemurInferenceErrorRate',
        'LemurGatewayErrorRate',
        'LemurTtftSloFastBurn',
        'LemurTtftSloSlowBurn',
        'LemurEvalBacklogGrowing',
        'LemurEvalBacklogStalled',
        'LemurEvalScheduledRunMissed',
        'LemurEvalRegressionDetected',
        'LemurSandboxOomOrTimeoutSpike',
      ]),
    );
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(mine.some((c) => c.exp_alerts.length > 0), `${alert} has no firing case`).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0), `${alert} has no quiet case`).toBe(true);
    }
    expect(tests.rule_files).toEqual(['lemur.rules.yaml']);
  });

  it('would catch a rule that no longer fires as its test expects', async () => {
    // The same tests against a copy whose error threshold is out of reach must fail: the tests assert, not just run.
    const broken = readFileSync(join(rulesDir, 'lemur.rules.yaml'), 'utf8').replace(
      '/ sum by (model) (rate(lemur_inference_requests_total[5m])) > 0.05',
      '/ sum by (model) (rate(lemur_inference_requests_total[5m])) > 0.5',
    );
    writeFileSync(join(scratch, 'lemur.rules.yaml'), broken);
    writeFileSync(join(scratch, 'lemur.rules.test.yaml'), readFileSync(join(rulesDir, 'lemur.rules.test.yaml')));
    const result = await execFileAsync(PROMTOOL, ['test', 'rules', 'lemur.rules.test.yaml'], { cwd: scratch }).then(
      () => ({ code: 0, output: '' }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: err.stdout + err.stderr }),
    );
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/FAILED[\s\S]*alertname: LemurInferenceErrorRate, time: 15m/);
  });
});
