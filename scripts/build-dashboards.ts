// Writes the Grafana dashboards built in libs/observability to helm/lemur/dashboards/*.json (committed; the chart
// ships them as ConfigMaps for the Grafana sidecar). libs/observability/src/dashboards.spec.ts fails when they differ.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { dashboardFiles, dashboardJson } from '../libs/observability/src/index';

const HELP = `Usage: npx tsx scripts/build-dashboards.ts [--out DIR]

Builds the Platform and Evaluation dashboards from libs/observability and writes their JSON.

Options:
  --out DIR    where to write (default: helm/lemur/dashboards)
  -h, --help   this text

Example:
  npx tsx scripts/build-dashboards.ts && git diff helm/lemur/dashboards
`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(HELP);
    return 0;
  }
  const outIndex = argv.indexOf('--out');
  const unknown = argv.filter((a, i) => a !== '--out' && i !== outIndex + 1);
  if (unknown.length > 0 || (outIndex >= 0 && !argv[outIndex + 1])) {
    process.stderr.write(`unexpected arguments: ${argv.join(' ')}; see --help\n`);
    return 64;
  }
  const outDir = resolve(outIndex >= 0 ? argv[outIndex + 1]! : join(__dirname, '..', 'helm', 'lemur', 'dashboards'));
  await mkdir(outDir, { recursive: true });
  for (const { file, dashboard } of dashboardFiles()) {
    const path = join(outDir, file);
    await writeFile(path, dashboardJson(dashboard));
    process.stdout.write(`wrote ${relative(process.cwd(), path)}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`build-dashboards failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
