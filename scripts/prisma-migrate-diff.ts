// Writes the next Prisma migration from the difference between prisma/migrations and prisma/schema.prisma,
// using Prisma's WebAssembly schema engine (no native engine download needed).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  MIGRATION_LOCK_CONTENT,
  MIGRATION_LOCK_FILE,
  NO_EXTERNAL_ENTITIES,
  openSchemaEngine,
  readMigrationsList,
  redactDatabaseUrl,
} from '../libs/shared/database/src/index';

const HELP = `Usage: npx tsx scripts/prisma-migrate-diff.ts --name <snake_case_change> [options]

Diffs the existing migrations against prisma/schema.prisma and writes
prisma/migrations/<yyyymmddhhmmss>_<name>/migration.sql (plus migration_lock.toml for the first one).

Options:
  --name <name>          what changed, e.g. added_seed_to_run (required unless --print)
  --schema <file>        Prisma schema (default: prisma/schema.prisma)
  --migrations <dir>     migrations folder (default: prisma/migrations)
  --database-url <url>   a PostgreSQL server the engine may create a throwaway shadow database on, used to replay
                         existing migrations (default: $SHADOW_DATABASE_URL, $DATABASE_URL, or
                         postgresql://postgres@127.0.0.1:5432/postgres). Not needed for the first migration.
  --print                print the SQL instead of writing a folder
  -h, --help             this text

Example:
  npx tsx scripts/prisma-migrate-diff.ts --name added_seed_to_run
  # then review the SQL, run scripts/prisma-generate.sh, and commit the new folder with the schema change.
`;

/** UTC yyyymmddhhmmss, the prefix Prisma gives migration folders. */
function migrationTimestamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      schema: { type: 'string', default: 'prisma/schema.prisma' },
      migrations: { type: 'string', default: 'prisma/migrations' },
      'database-url': { type: 'string' },
      print: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.print && !/^[a-z0-9_]+$/.test(values.name ?? '')) {
    process.stderr.write('--name is required, in snake_case (e.g. --name added_seed_to_run); see --help\n');
    return 64;
  }
  const schemaPath = resolve(values.schema);
  const schema = await readFile(schemaPath, 'utf8');
  const migrationsDir = resolve(values.migrations);
  const migrationsList = await readMigrationsList(migrationsDir);
  const databaseUrl =
    values['database-url'] ??
    process.env['SHADOW_DATABASE_URL'] ??
    process.env['DATABASE_URL'] ??
    'postgresql://postgres@127.0.0.1:5432/postgres';
  const hasHistory = migrationsList.migrationDirectories.length > 0;
  if (hasHistory) process.stderr.write(`replaying ${migrationsList.migrationDirectories.length} migration(s) on a shadow database at ${redactDatabaseUrl(databaseUrl)}\n`);

  const { engine, close } = await openSchemaEngine(databaseUrl, [[schemaPath, schema]]);
  let script: string;
  try {
    const result = await engine.diff({
      from: hasHistory ? { tag: 'migrations', ...migrationsList } : { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: null,
      filters: NO_EXTERNAL_ENTITIES,
    });
    script = result.stdout ?? '';
  } finally {
    await close();
  }

  const isEmpty = script.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
  if (isEmpty) {
    process.stderr.write('the schema matches the migrations: nothing to write\n');
    return 0;
  }
  if (values.print) {
    process.stdout.write(script);
    return 0;
  }
  const folder = join(migrationsDir, `${migrationTimestamp(new Date())}_${values.name}`);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'migration.sql'), script);
  const lockPath = join(migrationsDir, MIGRATION_LOCK_FILE);
  if (!existsSync(lockPath)) await writeFile(lockPath, MIGRATION_LOCK_CONTENT);
  process.stdout.write(`wrote ${relative(process.cwd(), join(folder, 'migration.sql'))}: review it, then commit it\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`prisma-migrate-diff failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
