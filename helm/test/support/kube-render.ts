import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { kubeToolPath, type KubeObject } from '@lemur/shared-testing';
import { parseAllDocuments } from 'yaml';

/** The repository root. */
export const ROOT = resolve(__dirname, '../../..');
/** The chart under test. */
export const CHART = join(ROOT, 'helm/lemur');
/** The value sets every rendering test runs over: defaults, production, simulator-only. */
export const VALUE_SETS: Record<string, string[]> = {
  defaults: [],
  production: [join(CHART, 'ci/production-values.yaml')],
  simulator: [join(CHART, 'ci/simulator-values.yaml')],
};
/** The release the tests render. */
export const RELEASE = { name: 'lemur', namespace: 'lemur' };

/** The outcome of a helm or kubectl command: exit status and both streams. */
export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs helm or kubectl, returning its exit status and output (never throws on a non-zero exit). */
export function runTool(tool: 'helm' | 'kubectl', args: string[]): ToolResult {
  const result = spawnSync(kubeToolPath(tool), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { PATH: '/usr/bin:/bin', HOME: '/tmp' } });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Parses a multi-document YAML stream into objects (empty documents dropped). */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

/** `helm template` of the chart (CRDs included) with value files and --set pairs; throws with helm's stderr on failure. */
export function helmTemplate(valueFiles: string[] = [], sets: string[] = [], chart = CHART): KubeObject[] {
  const args = ['template', RELEASE.name, chart, '--namespace', RELEASE.namespace, '--include-crds', ...valueFiles.flatMap((f) => ['-f', f]), ...sets.flatMap((s) => ['--set', s])];
  const result = runTool('helm', args);
  if (result.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${result.stderr}`);
  return parseObjects(result.stdout);
}

/** `kubectl kustomize` of a folder. */
export function kustomize(dir: string): KubeObject[] {
  return parseObjects(execFileSync(kubeToolPath('kubectl'), ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
}

/** `Kind/namespace/name` of an object, for messages. */
export function objectId(obj: KubeObject): string {
  return `${String(obj.kind)}/${obj.metadata?.namespace ?? '-'}/${obj.metadata?.name ?? obj.metadata?.generateName ?? '?'}`;
}
